#include "cli/CliCommon.h"
#include "cli/Commands.h"
#include "cli/JobBuilder.h"
#include "core/JsonStream.h"
#include "core/documents/Chunker.h"
#include "core/documents/DocumentText.h"
#include "engine/CurationRun.h"
#include "engine/JobSetup.h"
#include "engine/Suggestions.h"

#include <iostream>

namespace sds::cli {
namespace {

// `sds preview FILE...`: the text the documents workflow would use, before generating.
class PreviewCommand final : public Command {
public:
    void attach(CLI::App& app) override {
        m_command =
            app.add_subcommand("preview", "Show the text extracted from documents (PDF, DOCX, TXT, MD)");
        m_command->add_option("FILE", m_files, "Documents")->required();
        m_command->add_option("--chunk-size", m_chunkSize, "Characters per excerpt (default 1000)");
        m_command->add_option("--chunk-overlap", m_chunkOverlap,
                              "Characters shared by consecutive excerpts (default 100)");
        m_command->add_flag("--chunks", m_showChunks, "Print the excerpts instead of the whole text");
        m_command->add_option("--max-chars", m_maxChars,
                              "Print at most this many characters per file (default 2000; 0: all)");
    }
    [[nodiscard]] bool parsed() const override { return m_command->parsed(); }

    int run(const Project&) override {
        const documents::ChunkOptions options{static_cast<std::size_t>(m_chunkSize),
                                              static_cast<std::size_t>(m_chunkOverlap)};
        if (auto error = documents::validate(options); !error.empty())
            return fail(kBadInput, error);
        int usable = 0;
        for (const auto& file : m_files) {
            const auto document = documents::extractText(file);
            for (const auto& warning : document.warnings)
                warn(warning);
            if (!document.ok()) {
                std::cerr << "sds: error: " << document.error << "\n";
                continue;
            }
            ++usable;
            const auto chunks = documents::chunkText(document.text, options);
            std::cout << "== " << file << ": " << document.text.size() << " bytes of text, " << chunks.size()
                      << " excerpts\n";
            if (m_showChunks) {
                for (std::size_t i = 0; i < chunks.size(); ++i)
                    std::cout << "-- excerpt " << i + 1 << " (" << chunks[i].size() << " bytes)\n"
                              << chunks[i] << "\n";
            } else {
                const bool cut =
                    m_maxChars > 0 && document.text.size() > static_cast<std::size_t>(m_maxChars);
                std::string shown =
                    cut ? document.text.substr(0, static_cast<std::size_t>(m_maxChars)) : document.text;
                while (cut && !shown.empty() && (static_cast<unsigned char>(shown.back()) & 0xC0) == 0x80)
                    shown.pop_back(); // do not end inside a UTF-8 character
                if (cut && !shown.empty() && static_cast<unsigned char>(shown.back()) >= 0xC0)
                    shown.pop_back();
                std::cout << shown << (cut ? "\n[…]\n" : "\n");
            }
        }
        return usable == static_cast<int>(m_files.size()) ? kOk : (usable == 0 ? kBadInput : kPartial);
    }

private:
    CLI::App* m_command = nullptr;
    std::vector<std::string> m_files;
    int m_chunkSize = 1000;
    int m_chunkOverlap = 100;
    bool m_showChunks = false;
    int m_maxChars = 2000;
};

// What `prompt suggest` and `seeds suggest` share: the job they help with and the model that writes.
class SuggestionCommand : public Command {
protected:
    void addJobOptions(CLI::App& command) {
        command.add_option("--use-case", m_useCase, "What the dataset is for, in a sentence or two")
            ->required();
        command.add_option("--template", m_flags.templateId,
                           "code_generation, text_to_sql, custom, or your own");
        command.add_option("--workflow", m_flags.workflow, "sft (default) or curation");
        command.add_option("--config", m_flags.configFile, "Job file (as saved by the app)");
        command.add_option("--prompt", m_flags.prompt, "The current prompt");
        command.add_option("--examples-file", m_flags.examplesFile, "JSON array of {question, solution}");
        command.add_option("--seed", m_flags.seeds, "A seed already listed (repeatable)");
        command.add_option("--seeds-file", m_flags.seedsFile,
                           "Seeds already listed: one per line, or a JSON array");
        command.add_option("--input", m_flags.inputFiles,
                           "curation: the input file, a few elements of which are shown");
        command.add_option("--input-key", m_flags.inputKey, "curation: the input field (default Prompt)");
        addProviderOptions(command, m_choice, "local (default), bedrock, caii or openai");
        command.add_flag("--json", m_json, "As JSON");
    }

    // The context and the provider; an exit code other than kOk on a problem.
    int prepare(const Project& project, engine::SuggestionContext& context,
                std::shared_ptr<providers::Provider>& provider) {
        const auto templates = project.loadTemplates();
        auto draft = buildDraft(m_flags, templates);
        if (!draft.job)
            return fail(kBadInput, draft.error);
        context.useCase = m_useCase;
        context.job = std::move(*draft.job);
        if (!m_flags.seeds.empty() || !m_flags.seedsFile.empty())
            context.job.seeds.clear();
        for (const auto& seed : m_flags.seeds)
            context.job.seeds.push_back(seed);
        if (!m_flags.seedsFile.empty()) {
            auto seeds = readSeedsFile(m_flags.seedsFile);
            if (auto* error = std::get_if<std::string>(&seeds))
                return fail(kBadInput, *error);
            for (auto& seed : std::get<std::vector<std::string>>(seeds))
                context.job.seeds.push_back(std::move(seed));
        }
        if (context.job.workflow == Workflow::CustomDataCuration && !context.job.inputFiles.empty()) {
            JsonElementReader reader(context.job.inputFiles.front());
            if (auto error = reader.open(); !error.empty())
                return fail(kBadInput, error);
            while (context.inputSample.size() < 5) {
                auto element = reader.next();
                if (!element)
                    break;
                if (auto text = engine::curationInputText(element->value, context.job.inputKey))
                    context.inputSample.push_back(std::move(*text));
            }
            if (!reader.error().empty())
                return fail(kBadInput, reader.error());
        }
        auto made = providerFor(m_choice, project);
        if (!made.ok())
            return fail(kBadInput, made.error().message);
        provider = made.value();
        context.job.provider = m_choice;
        return kOk;
    }

    CLI::App* m_command = nullptr;
    GenerateFlags m_flags;
    std::string m_useCase;
    ProviderChoice m_choice;
    bool m_json = false;
};

// `sds prompt suggest`: the model writes a prompt for the job, printed for the user to edit.
class PromptSuggestCommand final : public SuggestionCommand {
public:
    void attach(CLI::App& app) override {
        m_group = app.add_subcommand("prompt", "Let the model help with the prompt");
        m_group->require_subcommand(1);
        m_command =
            m_group->add_subcommand("suggest", "Write a prompt for the use case (printed, for you to edit)");
        addJobOptions(*m_command);
    }
    [[nodiscard]] bool parsed() const override { return m_command->parsed(); }

    int run(const Project& project) override {
        engine::SuggestionContext context;
        std::shared_ptr<providers::Provider> provider;
        if (int code = prepare(project, context, provider); code != kOk)
            return code;
        CancellationToken cancel;
        CancelOnInterrupt interrupt(cancel);
        const auto suggestion = engine::suggestPrompt(provider, context, {}, cancel);
        if (!suggestion.error.empty())
            return fail(cancel.isCancelled() ? kCancelled : kRunFailed, suggestion.error);
        if (m_json)
            std::cout << nlohmann::json{{"prompt", suggestion.prompt}}.dump(2) << "\n";
        else
            std::cout << suggestion.prompt << "\n";
        return kOk;
    }

private:
    CLI::App* m_group = nullptr;
};

// `sds seeds suggest`: N new seeds, none a near-duplicate of those already listed.
class SeedsSuggestCommand final : public SuggestionCommand {
public:
    void attach(CLI::App& app) override {
        m_group = app.add_subcommand("seeds", "Let the model help with the seeds");
        m_group->require_subcommand(1);
        m_command = m_group->add_subcommand("suggest", "Propose new seeds for the use case, one per line");
        addJobOptions(*m_command);
        m_command->add_option("--count", m_count, "How many seeds (default 10)")->check(CLI::Range(1, 100));
    }
    [[nodiscard]] bool parsed() const override { return m_command->parsed(); }

    int run(const Project& project) override {
        engine::SuggestionContext context;
        std::shared_ptr<providers::Provider> provider;
        if (int code = prepare(project, context, provider); code != kOk)
            return code;
        CancellationToken cancel;
        CancelOnInterrupt interrupt(cancel);
        const auto suggestions = engine::suggestSeeds(provider, context, m_count, {}, cancel);
        if (suggestions.seeds.empty())
            return fail(cancel.isCancelled() ? kCancelled : kRunFailed, suggestions.error);
        if (!suggestions.rejected.empty())
            warn(std::to_string(suggestions.rejected.size()) +
                 " suggestions were left out as too close to seeds already listed");
        if (static_cast<int>(suggestions.seeds.size()) < m_count)
            warn("only " + std::to_string(suggestions.seeds.size()) + " of " + std::to_string(m_count) +
                 " new seeds came back" + (suggestions.error.empty() ? "" : ": " + suggestions.error));
        if (m_json)
            std::cout
                << nlohmann::json{{"seeds", suggestions.seeds}, {"rejected", suggestions.rejected}}.dump(2)
                << "\n";
        else
            for (const auto& seed : suggestions.seeds)
                std::cout << seed << "\n";
        return kOk;
    }

private:
    CLI::App* m_group = nullptr;
    int m_count = 10;
};

} // namespace

std::vector<std::unique_ptr<Command>> makeWorkflowCommands() {
    std::vector<std::unique_ptr<Command>> commands;
    commands.push_back(std::make_unique<PreviewCommand>());
    commands.push_back(std::make_unique<PromptSuggestCommand>());
    commands.push_back(std::make_unique<SeedsSuggestCommand>());
    return commands;
}

} // namespace sds::cli
