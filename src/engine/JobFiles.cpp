#include "engine/JobFiles.h"

#include "core/JsonFile.h"

#include <sstream>

namespace sds::engine {

std::variant<std::vector<std::string>, std::string> readSeedsFile(const std::string& path) {
    std::string error;
    const auto text = readTextFile(path, &error);
    if (!text)
        return "seeds file " + error;
    const auto first = text->find_first_not_of(" \t\r\n");
    if (first != std::string::npos && (*text)[first] == '[') {
        const auto parsed = parseJsonText(*text, path);
        if (!parsed.ok())
            return parsed.error;
        std::vector<std::string> seeds;
        for (std::size_t i = 0; i < parsed.json->size(); ++i) {
            const auto& value = (*parsed.json)[i];
            if (!value.is_string())
                return path + ": element " + std::to_string(i) + " must be a string (a seed topic)";
            seeds.push_back(value.get<std::string>());
        }
        return seeds;
    }
    std::vector<std::string> seeds;
    std::istringstream lines(*text);
    std::string line;
    while (std::getline(lines, line)) {
        const auto begin = line.find_first_not_of(" \t\r");
        if (begin == std::string::npos || line[begin] == '#')
            continue;
        const auto end = line.find_last_not_of(" \t\r");
        seeds.push_back(line.substr(begin, end - begin + 1));
    }
    if (seeds.empty())
        return path + ": no seeds in the file (one topic per line, or a JSON array of strings)";
    return seeds;
}

std::variant<std::vector<Example>, std::string> readExamplesFile(const std::string& path) {
    const auto parsed = readJsonFile(path);
    if (!parsed.ok())
        return parsed.error;
    if (!parsed.json->is_array())
        return path + ": examples must be a JSON array of {\"question\", \"solution\"} objects";
    std::vector<Example> examples;
    for (std::size_t i = 0; i < parsed.json->size(); ++i) {
        const auto& e = (*parsed.json)[i];
        if (!e.is_object() || !e.contains("question") || !e["question"].is_string() ||
            !e.contains("solution") || !e["solution"].is_string())
            return path + ": element " + std::to_string(i) +
                   " needs string fields \"question\" and \"solution\"";
        examples.push_back({e["question"].get<std::string>(), e["solution"].get<std::string>()});
    }
    return examples;
}

} // namespace sds::engine
