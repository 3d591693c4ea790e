#include "engine/FailedWork.h"

#include "core/JsonFile.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace sds::engine {
namespace {

bool readIndices(const nlohmann::json& json, const char* key, std::vector<std::size_t>& indices) {
    const auto found = json.find(key);
    if (found == json.end())
        return true;
    if (!found->is_array())
        return false;
    for (const auto& value : *found) {
        if (!value.is_number_unsigned())
            return false;
        indices.push_back(value.get<std::size_t>());
    }
    std::sort(indices.begin(), indices.end());
    indices.erase(std::unique(indices.begin(), indices.end()), indices.end());
    return true;
}

} // namespace

std::filesystem::path failedWorkFile(const std::filesystem::path& runDir) {
    return runDir / "failed.json";
}

std::variant<FailedWork, std::string> loadFailedWork(const std::filesystem::path& runDir) {
    const auto file = failedWorkFile(runDir);
    std::error_code ec;
    if (!std::filesystem::exists(file, ec))
        return FailedWork{};
    const auto read = readJsonFile(file);
    if (!read.ok())
        return read.error;
    FailedWork failed;
    if (!read.json->is_object() || !readIndices(*read.json, "seeds", failed.seeds) ||
        !readIndices(*read.json, "elements", failed.elements))
        return file.string() + ": expected {\"seeds\": [indices], \"elements\": [indices]}";
    return failed;
}

std::string saveFailedWork(const std::filesystem::path& runDir, const FailedWork& failed) {
    const nlohmann::json json = {{"seeds", failed.seeds}, {"elements", failed.elements}};
    return writeFileAtomically(failedWorkFile(runDir), json.dump() + "\n");
}

} // namespace sds::engine
