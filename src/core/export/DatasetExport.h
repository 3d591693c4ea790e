#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sds::exporting {

// OpenAiChat: {"messages":[system?, user, assistant]} per line. HuggingFace: each row's columns unchanged,
// one object per line. Csv: the rows' columns (header = union of keys in first-seen order), RFC 4180.
// Alpaca: {"instruction","input":"","output"} per line. BedrockConversation: Amazon Bedrock's
// "bedrock-conversation-2024" fine-tuning format, one conversation per line.
enum class ExportFormat { OpenAiChat, HuggingFace, Csv, Alpaca, BedrockConversation };

// "openai", "hf", "csv", "alpaca", "bedrock".
[[nodiscard]] std::optional<ExportFormat> exportFormatFromString(std::string_view text);
[[nodiscard]] std::string toString(ExportFormat format);
// ".jsonl" or ".csv".
[[nodiscard]] std::string fileExtension(ExportFormat format);

struct ExportRequest {
    std::filesystem::path dataset; // the run's JSON array (or JSON Lines), streamed
    ExportFormat format = ExportFormat::OpenAiChat;
    std::filesystem::path output; // with a split: <stem>_train<ext> and <stem>_validation<ext> next to it
    std::string promptKey = "Prompt";
    std::string completionKey = "Completion";
    std::string systemPrompt;            // openai/bedrock system message; omitted when empty
    std::optional<double> trainFraction; // e.g. 0.9; must be in (0,1)
    std::uint64_t randomSeed = 42;       // the split is a fixed-seed shuffle: same input + seed = same files
    std::function<bool(std::size_t rowIndex)> keep; // optional filter by row index; empty keeps all
};

struct ExportedFile {
    std::filesystem::path path;
    std::string part; // "all", "train", "validation"
    std::size_t rows = 0;
};

struct ExportResult {
    std::vector<ExportedFile> files;
    std::size_t rowsRead = 0;
    std::size_t rowsDropped = 0; // refused by `keep`
    // Not an object, or (openai/alpaca/bedrock) without the prompt or completion key.
    std::size_t rowsSkipped = 0;
    std::string error;
    [[nodiscard]] bool ok() const { return error.empty(); }
};

// Reads the dataset twice (once to check it and choose the rows, once to write them), holding only row
// indices. Every file is written to a temporary name, all of them are completed on the disk, and only then
// are they renamed over their paths: on an error no temporary file is left and no earlier export is
// replaced (unless a rename itself fails half-way, which leaves the files renamed so far). A dataset with
// no row to export is an error.
[[nodiscard]] ExportResult exportDataset(const ExportRequest& request);
// A one-line error naming the field, empty when the request can run.
[[nodiscard]] std::string validate(const ExportRequest& request);

// The files a request writes: {output, "all"} or the train and validation files.
[[nodiscard]] std::vector<ExportedFile> plannedFiles(const ExportRequest& request);

// One CSV field, quoted when it holds a comma, a quote, CR or LF (RFC 4180).
[[nodiscard]] std::string csvField(std::string_view text);

} // namespace sds::exporting
