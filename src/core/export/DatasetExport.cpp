#include "core/export/DatasetExport.h"

#include "core/JsonStream.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <unistd.h>
#include <unordered_set>

namespace sds::exporting {
namespace {

using Json = nlohmann::ordered_json;

constexpr std::size_t kFlushSize = 64 * 1024;
constexpr const char* kBedrockSchema = "bedrock-conversation-2024";

std::string dumpLine(const Json& json) {
    return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Strings as they are, anything else as JSON text.
std::string textOf(const Json& value) {
    return value.is_string() ? value.get<std::string>() : dumpLine(value);
}

bool needsPromptAndCompletion(ExportFormat format) {
    return format == ExportFormat::OpenAiChat || format == ExportFormat::Alpaca ||
           format == ExportFormat::BedrockConversation;
}

bool hasValue(const Json& row, const std::string& key) {
    const auto it = row.find(key);
    return it != row.end() && !it->is_null();
}

std::string formatNumber(double value) {
    std::ostringstream out;
    out << value;
    return out.str();
}

bool samePath(const std::filesystem::path& a, const std::filesystem::path& b) {
    std::error_code ec;
    if (std::filesystem::exists(a, ec) && std::filesystem::exists(b, ec) &&
        std::filesystem::equivalent(a, b, ec))
        return true;
    const auto canonicalA = std::filesystem::weakly_canonical(a, ec);
    const auto canonicalB = std::filesystem::weakly_canonical(b, ec);
    return !ec && canonicalA == canonicalB;
}

// A file written under a temporary name and renamed over its path by publish(); removed if never published.
class AtomicOutput {
public:
    explicit AtomicOutput(std::filesystem::path path)
        : m_path(std::move(path)), m_temporary(m_path.string() + ".tmp-" + std::to_string(::getpid())) {}
    ~AtomicOutput() { discard(); }
    AtomicOutput(const AtomicOutput&) = delete;
    AtomicOutput& operator=(const AtomicOutput&) = delete;

    std::string open() {
        std::error_code ec;
        if (m_path.has_parent_path())
            std::filesystem::create_directories(m_path.parent_path(), ec);
        m_fd = ::open(m_temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (m_fd < 0)
            return m_path.string() + ": cannot write: " + std::strerror(errno);
        return {};
    }

    std::string write(std::string_view data) {
        m_buffer += data;
        return m_buffer.size() >= kFlushSize ? flush() : std::string();
    }

    // The temporary file complete on the disk; then publish() renames it over the output. Finishing every
    // output before publishing any means a failed write never replaces a file of an earlier export.
    std::string finish() {
        if (auto error = flush(); !error.empty())
            return error;
        if (::fsync(m_fd) != 0 || ::close(m_fd) != 0) {
            m_fd = -1;
            return m_path.string() + ": write failed: " + std::strerror(errno);
        }
        m_fd = -1;
        return {};
    }

    std::string publish() {
        if (::rename(m_temporary.c_str(), m_path.c_str()) != 0)
            return m_path.string() + ": cannot replace: " + std::strerror(errno);
        m_committed = true;
        return {};
    }

    // Removes the temporary file unless it was published.
    void discard() {
        if (m_fd >= 0) {
            ::close(m_fd);
            m_fd = -1;
        }
        if (!m_committed)
            ::unlink(m_temporary.c_str());
    }

private:
    std::string flush() {
        std::string_view data = m_buffer;
        while (!data.empty()) {
            const ssize_t n = ::write(m_fd, data.data(), data.size());
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                return m_path.string() + ": write failed: " + std::strerror(errno);
            }
            data.remove_prefix(static_cast<std::size_t>(n));
        }
        m_buffer.clear();
        return {};
    }

    std::filesystem::path m_path;
    std::string m_temporary;
    std::string m_buffer;
    int m_fd = -1;
    bool m_committed = false;
};

std::string csvLine(const std::vector<std::string>& fields) {
    std::string line;
    for (std::size_t i = 0; i < fields.size(); ++i) {
        if (i > 0)
            line += ',';
        line += csvField(fields[i]);
    }
    return line + "\r\n";
}

// One output line (with its line break) for a row that passed the checks of exportDataset.
std::string formatRow(const ExportRequest& request, const Json& row,
                      const std::vector<std::string>& columns) {
    switch (request.format) {
    case ExportFormat::OpenAiChat: {
        Json messages = Json::array();
        if (!request.systemPrompt.empty())
            messages.push_back({{"role", "system"}, {"content", request.systemPrompt}});
        messages.push_back({{"role", "user"}, {"content", textOf(row[request.promptKey])}});
        messages.push_back({{"role", "assistant"}, {"content", textOf(row[request.completionKey])}});
        return dumpLine(Json{{"messages", std::move(messages)}}) + "\n";
    }
    case ExportFormat::HuggingFace:
        return dumpLine(row) + "\n";
    case ExportFormat::Csv: {
        std::vector<std::string> fields;
        fields.reserve(columns.size());
        for (const auto& column : columns) {
            const auto it = row.find(column);
            fields.push_back(it == row.end() || it->is_null() ? std::string() : textOf(*it));
        }
        return csvLine(fields);
    }
    case ExportFormat::Alpaca:
        return dumpLine(Json{{"instruction", textOf(row[request.promptKey])},
                             {"input", ""},
                             {"output", textOf(row[request.completionKey])}}) +
               "\n";
    case ExportFormat::BedrockConversation: {
        Json line = Json::object();
        line["schemaVersion"] = kBedrockSchema;
        if (!request.systemPrompt.empty())
            line["system"] = Json::array({Json{{"text", request.systemPrompt}}});
        line["messages"] = Json::array(
            {Json{{"role", "user"},
                  {"content", Json::array({Json{{"text", textOf(row[request.promptKey])}}})}},
             Json{{"role", "assistant"},
                  {"content", Json::array({Json{{"text", textOf(row[request.completionKey])}}})}}});
        return dumpLine(line) + "\n";
    }
    }
    return {};
}

// Marks which kept rows go to training: a Fisher-Yates shuffle driven by mt19937_64 (whose output the
// standard fixes, unlike std::shuffle's algorithm), so the same seed gives the same split everywhere.
std::vector<bool> chooseTrainingRows(std::size_t kept, double fraction, std::uint64_t seed) {
    std::vector<std::size_t> order(kept);
    for (std::size_t i = 0; i < kept; ++i)
        order[i] = i;
    std::mt19937_64 random(seed);
    for (std::size_t i = kept; i > 1; --i) {
        const auto j = static_cast<std::size_t>(random() % i); // the modulo bias is negligible at 64 bits
        std::swap(order[i - 1], order[j]);
    }
    auto trainCount = static_cast<std::size_t>(std::llround(fraction * static_cast<double>(kept)));
    if (kept >= 2)
        trainCount = std::clamp<std::size_t>(trainCount, 1, kept - 1);
    else
        trainCount = kept;
    std::vector<bool> train(kept, false);
    for (std::size_t i = 0; i < trainCount; ++i)
        train[order[i]] = true;
    return train;
}

} // namespace

std::optional<ExportFormat> exportFormatFromString(std::string_view text) {
    if (text == "openai")
        return ExportFormat::OpenAiChat;
    if (text == "hf")
        return ExportFormat::HuggingFace;
    if (text == "csv")
        return ExportFormat::Csv;
    if (text == "alpaca")
        return ExportFormat::Alpaca;
    if (text == "bedrock")
        return ExportFormat::BedrockConversation;
    return std::nullopt;
}

std::string toString(ExportFormat format) {
    switch (format) {
    case ExportFormat::OpenAiChat:
        return "openai";
    case ExportFormat::HuggingFace:
        return "hf";
    case ExportFormat::Csv:
        return "csv";
    case ExportFormat::Alpaca:
        return "alpaca";
    case ExportFormat::BedrockConversation:
        return "bedrock";
    }
    return "openai";
}

std::string fileExtension(ExportFormat format) {
    return format == ExportFormat::Csv ? ".csv" : ".jsonl";
}

std::string csvField(std::string_view text) {
    if (text.find_first_of(",\"\r\n") == std::string_view::npos)
        return std::string(text);
    std::string quoted = "\"";
    for (const char c : text) {
        if (c == '"')
            quoted += '"';
        quoted += c;
    }
    return quoted + "\"";
}

std::vector<ExportedFile> plannedFiles(const ExportRequest& request) {
    if (!request.trainFraction)
        return {ExportedFile{request.output, "all", 0}};
    const std::string extension =
        request.output.has_extension() ? request.output.extension().string() : fileExtension(request.format);
    const std::string stem = request.output.stem().string();
    const auto folder = request.output.parent_path();
    return {ExportedFile{folder / (stem + "_train" + extension), "train", 0},
            ExportedFile{folder / (stem + "_validation" + extension), "validation", 0}};
}

std::string validate(const ExportRequest& request) {
    std::error_code ec;
    if (request.dataset.empty())
        return "dataset: no dataset file given";
    if (!std::filesystem::exists(request.dataset, ec))
        return "dataset: " + request.dataset.string() + ": no such file";
    if (request.output.empty() || !request.output.has_filename())
        return "output: no output file given";
    if (std::filesystem::is_directory(request.output, ec))
        return "output: " + request.output.string() + " is a folder, not a file";
    if (needsPromptAndCompletion(request.format)) {
        if (request.promptKey.empty())
            return "promptKey: empty; name the column that holds the prompt";
        if (request.completionKey.empty())
            return "completionKey: empty; name the column that holds the completion";
    }
    if (request.trainFraction &&
        !(std::isfinite(*request.trainFraction) && *request.trainFraction > 0 && *request.trainFraction < 1))
        return "trainFraction: must be between 0 and 1 (both excluded), got " +
               formatNumber(*request.trainFraction);
    for (const auto& file : plannedFiles(request)) {
        if (samePath(file.path, request.dataset))
            return "output: " + file.path.string() + " is the dataset itself; choose another file";
    }
    return {};
}

ExportResult exportDataset(const ExportRequest& request) {
    ExportResult result;
    if (result.error = validate(request); !result.error.empty())
        return result;
    const bool needsKeys = needsPromptAndCompletion(request.format);

    // First pass: check the whole file and choose the rows, holding only their indices.
    std::vector<std::size_t> kept;
    std::vector<std::string> columns;
    {
        std::unordered_set<std::string> seenColumns;
        JsonElementReader reader(request.dataset);
        if (result.error = reader.open(); !result.error.empty())
            return result;
        while (const auto element = reader.next()) {
            ++result.rowsRead;
            if (request.keep && !request.keep(element->index)) {
                ++result.rowsDropped;
                continue;
            }
            const Json& row = element->value;
            if (!row.is_object() ||
                (needsKeys && (!hasValue(row, request.promptKey) || !hasValue(row, request.completionKey)))) {
                ++result.rowsSkipped;
                continue;
            }
            kept.push_back(element->index);
            if (request.format == ExportFormat::Csv) {
                for (const auto& item : row.items()) {
                    if (seenColumns.insert(item.key()).second)
                        columns.push_back(item.key());
                }
            }
        }
        if (result.error = reader.error(); !result.error.empty())
            return result;
    }
    if (kept.empty()) {
        const std::string skippedWhy = needsKeys ? " not objects or without \"" + request.promptKey +
                                                       "\" or \"" + request.completionKey + "\""
                                                 : " not objects";
        result.error = request.dataset.string() + ": no rows to export (" + std::to_string(result.rowsRead) +
                       " read, " + std::to_string(result.rowsDropped) + " left out by the filter, " +
                       std::to_string(result.rowsSkipped) + skippedWhy + ")";
        return result;
    }
    const std::vector<bool> training =
        request.trainFraction ? chooseTrainingRows(kept.size(), *request.trainFraction, request.randomSeed)
                              : std::vector<bool>();

    // Second pass: write each chosen row to its file.
    auto files = plannedFiles(request);
    std::vector<std::unique_ptr<AtomicOutput>> outputs;
    const auto fail = [&](std::string error) {
        for (auto& output : outputs)
            output->discard();
        result.error = std::move(error);
        return result;
    };
    for (const auto& file : files) {
        outputs.push_back(std::make_unique<AtomicOutput>(file.path));
        if (auto error = outputs.back()->open(); !error.empty())
            return fail(error);
        if (request.format == ExportFormat::Csv) {
            if (auto error = outputs.back()->write(csvLine(columns)); !error.empty())
                return fail(error);
        }
    }
    JsonElementReader reader(request.dataset);
    if (auto error = reader.open(); !error.empty())
        return fail(error);
    std::size_t next = 0;
    while (const auto element = reader.next()) {
        if (next >= kept.size() || kept[next] != element->index)
            continue;
        const std::size_t slot = training.empty() || training[next] ? 0 : 1;
        if (auto error = outputs[slot]->write(formatRow(request, element->value, columns)); !error.empty())
            return fail(error);
        ++files[slot].rows;
        ++next;
    }
    if (!reader.error().empty())
        return fail(reader.error());
    if (next != kept.size())
        return fail(request.dataset.string() + ": the dataset changed while it was being exported");
    for (auto& output : outputs)
        if (auto error = output->finish(); !error.empty())
            return fail(error);
    for (auto& output : outputs)
        if (auto error = output->publish(); !error.empty())
            return fail(error);
    result.files = std::move(files);
    return result;
}

} // namespace sds::exporting
