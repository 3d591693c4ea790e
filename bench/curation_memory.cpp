// Peak memory of a curation run against the number of input elements: is the input streamed, or held?
// Each size runs in a fresh child process (this program again, with --child-elements) so the peaks
// (VmHWM) never mix. The model is an in-process provider that answers at once, so the run is all
// engine: reading the input, the request pool, the journal and the ordered dataset write. Prints the
// peak per size, its growth per element over the smallest run, and the input's bytes per element to
// compare the growth with (holding the input would cost at least that much per element).

#include "BenchSupport.h"
#include "core/Job.h"
#include "core/Project.h"
#include "core/RunHistory.h"
#include "engine/RunService.h"
#include "testsupport/TempDir.h"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <unistd.h>

namespace {

using namespace sds;
using bench::fileSize;
using bench::statusKb;

// Answers every request at once with {"output": …} of about the size a short completion has.
class InstantCurator final : public providers::Provider {
public:
    [[nodiscard]] std::string name() const override { return "instant"; }
    [[nodiscard]] providers::ChatResult chat(const providers::ChatRequest& request,
                                             const CancellationToken&) override {
        providers::ChatResponse response;
        response.structured = nlohmann::json{
            {"output", "A curated answer of a typical length for the input given: " +
                           std::to_string(request.messages.back().content.size()) + " characters."}};
        response.text = response.structured->dump();
        response.usage = {100, 20};
        return response;
    }
    [[nodiscard]] providers::ModelListResult listModels(const CancellationToken&) override {
        return std::vector<providers::ModelInfo>{{"instant", "instant"}};
    }
    [[nodiscard]] std::string defaultModel() const override { return "instant"; }
};

std::filesystem::path writeInput(const std::filesystem::path& folder, int elements) {
    const auto path = folder / "input.json";
    std::ofstream out(path);
    out << "[\n";
    for (int i = 0; i < elements; ++i)
        out << (i ? ",\n" : "")
            << nlohmann::json{{"Prompt", "Summarise ticket " + std::to_string(i) +
                                             ": the customer cannot log in after the "
                                             "password reset and asks for help."},
                              {"id", i}}
                   .dump();
    out << "\n]\n";
    return path;
}

int runChild(int elements, const std::filesystem::path& folder) {
    const auto input = writeInput(folder, elements);
    JobSpec job;
    job.templateId = "custom";
    job.workflow = Workflow::CustomDataCuration;
    job.prompt = "Summarise the ticket in one sentence.";
    job.inputFiles = {input.string()};
    job.provider.name = "openai";
    job.provider.model = "instant";
    job.concurrency = 16;
    job.outputPath = (folder / "dataset.json").string();
    Project project(folder / "project");
    RunHistory history;
    if (auto error = project.ensureExists(); !error.empty())
        return std::cerr << error << "\n", 1;
    if (auto error = history.open(project.historyDatabase()); !error.empty())
        return std::cerr << error << "\n", 1;
    engine::RunService service(project, history);
    const long rssBeforeKb = statusKb("VmRSS");
    auto prepared = service.prepare(job);
    if (auto* error = std::get_if<std::string>(&prepared))
        return std::cerr << *error << "\n", 1;
    const auto& run = std::get<engine::PreparedRun>(prepared);
    const auto started = std::chrono::steady_clock::now();
    const auto report = service.execute(run, std::make_shared<InstantCurator>(), engine::RunOptions{}, {},
                                        CancellationToken{});
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const long hwmKb = statusKb("VmHWM");
    std::cout << nlohmann::json{{"elements", elements},
                                {"rows", report.datasetRows},
                                {"status", toString(report.outcome.status)},
                                {"error", report.outcome.error},
                                {"seconds", seconds},
                                {"rss_before_kb", rssBeforeKb},
                                {"vm_hwm_kb", hwmKb},
                                {"input_bytes", fileSize(input)},
                                {"dataset_bytes", fileSize(run.datasetPath)}}
                     .dump()
              << std::endl;
    return report.outcome.status == RunStatus::Completed ? 0 : 2;
}

nlohmann::json spawnChild(int elements, const std::filesystem::path& folder) {
    const auto child = bench::runSelfAsChild({"bench_curation_memory", "--child-elements",
                                              std::to_string(elements), "--work-dir", folder.string()});
    if (!child.error.empty())
        std::cerr << "bench_curation_memory: " << child.error << "\n";
    return child.line;
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"Peak memory of curation runs by input size"};
    int childElements = 0;
    std::string workDir;
    std::vector<int> sizes = {1000, 100000};
    app.add_option("--child-elements", childElements);
    app.add_option("--work-dir", workDir);
    app.add_option("--sizes", sizes, "Input sizes; the first is the baseline")->delimiter(',');
    CLI11_PARSE(app, argc, argv);
    if (childElements > 0)
        return runChild(childElements, workDir);

    std::vector<nlohmann::json> results;
    for (const int size : sizes) {
        testing::TempDir folder;
        auto result = spawnChild(size, folder.path());
        if (!result.is_object() || result.value("status", "") != "completed") {
            std::cerr << "bench_curation_memory: the run of " << size << " elements failed: " << result.dump()
                      << "\n";
            return 1;
        }
        std::cerr << "bench: " << size << " elements: " << result.dump() << "\n";
        results.push_back(std::move(result));
    }
    const auto& base = results.front();
    std::printf("| elements | rows | peak RSS (MiB) | peak / baseline | growth per element | input bytes per "
                "element | "
                "elements/s |\n|---|---|---|---|---|---|---|\n");
    for (const auto& r : results) {
        const double peak = r["vm_hwm_kb"].get<double>();
        const double extraElements = r["elements"].get<double>() - base["elements"].get<double>();
        const double growth =
            extraElements > 0 ? (peak - base["vm_hwm_kb"].get<double>()) * 1024.0 / extraElements : 0;
        std::printf("| %d | %d | %.1f | %.2f | %s | %.0f | %.0f |\n", r["elements"].get<int>(),
                    r["rows"].get<int>(), peak / 1024.0, peak / base["vm_hwm_kb"].get<double>(),
                    extraElements > 0 ? (std::to_string(static_cast<long>(growth)) + " B").c_str() : "–",
                    r["input_bytes"].get<double>() / r["elements"].get<double>(),
                    r["elements"].get<double>() / r["seconds"].get<double>());
    }
    return 0;
}
