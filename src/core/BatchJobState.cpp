#include "core/BatchJobState.h"

#include "core/JsonFile.h"

#include <nlohmann/json.hpp>

namespace sds {

std::filesystem::path batchJobStateFile(const std::filesystem::path& runDir) {
    return runDir / "batch.json";
}

std::variant<std::optional<BatchJobState>, std::string>
loadBatchJobState(const std::filesystem::path& runDir) {
    const auto file = batchJobStateFile(runDir);
    std::error_code ec;
    if (!std::filesystem::exists(file, ec))
        return std::optional<BatchJobState>{};
    const auto read = readJsonFile(file);
    if (!read.ok())
        return read.error;
    const auto& json = *read.json;
    const auto text = [&json](const char* key) {
        return json.contains(key) && json[key].is_string() ? json[key].get<std::string>() : std::string();
    };
    const auto count = [&json](const char* key) -> std::optional<std::int64_t> {
        if (json.contains(key) && json[key].is_number_integer())
            return json[key].get<std::int64_t>();
        return std::nullopt;
    };
    if (!json.is_object() || text("input_uri").empty() || !count("records"))
        return file.string() + ": expected the batch job's input_uri, output_uri, records and job_arn";
    BatchJobState state;
    state.inputUri = text("input_uri");
    state.outputUri = text("output_uri");
    state.jobArn = text("job_arn");
    state.status = text("status");
    state.message = text("message");
    state.records = *count("records");
    state.processedRecords = count("processed_records");
    state.failedRecords = count("failed_records");
    state.answersTaken = json.contains("answers_taken") && json["answers_taken"].is_boolean() &&
                         json["answers_taken"].get<bool>();
    if (const auto round = count("round"))
        state.round = static_cast<int>(*round);
    if (json.contains("earlier_output_uris") && json["earlier_output_uris"].is_array())
        for (const auto& uri : json["earlier_output_uris"])
            if (uri.is_string())
                state.earlierOutputUris.push_back(uri.get<std::string>());
    return std::optional<BatchJobState>(std::move(state));
}

std::string saveBatchJobState(const std::filesystem::path& runDir, const BatchJobState& state) {
    nlohmann::json json = {{"input_uri", state.inputUri}, {"output_uri", state.outputUri},
                           {"job_arn", state.jobArn},     {"status", state.status},
                           {"records", state.records},    {"answers_taken", state.answersTaken}};
    if (state.round > 1) {
        json["round"] = state.round;
        json["earlier_output_uris"] = state.earlierOutputUris;
    }
    if (!state.message.empty())
        json["message"] = state.message;
    if (state.processedRecords)
        json["processed_records"] = *state.processedRecords;
    if (state.failedRecords)
        json["failed_records"] = *state.failedRecords;
    return writeFileAtomically(batchJobStateFile(runDir), json.dump(2) + "\n");
}

std::string describeBatchJob(const BatchJobState& state) {
    if (state.jobArn.empty())
        return "not submitted yet (" + std::to_string(state.records) + " records)";
    std::string text = state.status.empty() ? std::string("Submitted") : state.status;
    if (state.round > 1)
        text = "follow-up job for the failed records, " + text;
    text += ", " + std::to_string(state.processedRecords.value_or(0)) + " of " +
            std::to_string(state.records) + " records processed";
    if (state.failedRecords && *state.failedRecords > 0)
        text += ", " + std::to_string(*state.failedRecords) + " failed";
    if (!state.message.empty())
        text += ": " + state.message;
    return text;
}

} // namespace sds
