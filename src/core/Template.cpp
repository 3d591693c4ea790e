#include "core/Template.h"

#include "core/JsonFile.h"

#include <algorithm>

namespace sds {
namespace {

// Reads optional typed fields and remembers the first type error with its JSON path.
class FieldReader {
public:
    FieldReader(const nlohmann::json& json, std::string sourceName)
        : m_json(json), m_sourceName(std::move(sourceName)) {}

    void string(const char* key, std::string& target) {
        if (!m_json.contains(key))
            return;
        if (!m_json[key].is_string())
            return fail(std::string("\"") + key + "\" must be a string");
        target = m_json[key].get<std::string>();
    }

    void stringList(const char* key, std::vector<std::string>& target) {
        if (!m_json.contains(key))
            return;
        const auto& list = m_json[key];
        if (!list.is_array())
            return fail(std::string("\"") + key + "\" must be an array of strings");
        target.clear();
        for (std::size_t i = 0; i < list.size(); ++i) {
            if (!list[i].is_string())
                return fail(std::string("\"") + key + "\"[" + std::to_string(i) + "] must be a string");
            target.push_back(list[i].get<std::string>());
        }
    }

    void examples(std::vector<Example>& target) {
        if (!m_json.contains("examples"))
            return;
        const auto& list = m_json["examples"];
        if (!list.is_array())
            return fail("\"examples\" must be an array of {\"question\", \"solution\"} objects");
        target.clear();
        for (std::size_t i = 0; i < list.size(); ++i) {
            const auto& item = list[i];
            if (!item.is_object() || !item.contains("question") || !item["question"].is_string() ||
                !item.contains("solution") || !item["solution"].is_string())
                return fail("\"examples\"[" + std::to_string(i) +
                            "] needs string fields \"question\" and \"solution\"");
            target.push_back({item["question"].get<std::string>(), item["solution"].get<std::string>()});
        }
    }

    void parameters(ModelParameters& target) {
        if (!m_json.contains("parameters"))
            return;
        const auto& p = m_json["parameters"];
        if (!p.is_object())
            return fail("\"parameters\" must be an object");
        number(p, "temperature", target.temperature);
        number(p, "top_p", target.topP);
        integer(p, "top_k", target.topK);
        integer(p, "max_tokens", target.maxTokens);
    }

    void outputKeys(OutputKeys& target) {
        if (!m_json.contains("output_keys"))
            return;
        const auto& keys = m_json["output_keys"];
        if (!keys.is_object())
            return fail("\"output_keys\" must be an object with \"prompt\" and \"completion\"");
        FieldReader inner(keys, m_sourceName);
        inner.string("prompt", target.prompt);
        inner.string("completion", target.completion);
        if (!inner.error().empty())
            fail("output_keys: " + inner.error());
    }

    void evaluation(EvaluationRubric& target) {
        if (!m_json.contains("evaluation"))
            return;
        const auto& rubric = m_json["evaluation"];
        if (!rubric.is_object())
            return fail("\"evaluation\" must be an object with \"prompt\", \"scale\" and \"examples\"");
        FieldReader inner(rubric, m_sourceName);
        inner.string("prompt", target.prompt);
        if (!inner.error().empty())
            return fail("evaluation: " + inner.error());
        if (rubric.contains("scale")) {
            const auto& scale = rubric["scale"];
            if (!scale.is_object() || !scale.contains("min") || !scale["min"].is_number_integer() ||
                !scale.contains("max") || !scale["max"].is_number_integer() ||
                scale["min"].get<int>() >= scale["max"].get<int>())
                return fail("\"evaluation.scale\" must be {\"min\": integer, \"max\": larger integer}");
            target.minScore = scale["min"].get<int>();
            target.maxScore = scale["max"].get<int>();
        }
        if (rubric.contains("examples")) {
            const auto& list = rubric["examples"];
            if (!list.is_array())
                return fail("\"evaluation.examples\" must be an array");
            target.examples.clear();
            for (std::size_t i = 0; i < list.size(); ++i) {
                const auto& item = list[i];
                const bool ok = item.is_object() && item.contains("question") &&
                                item["question"].is_string() && item.contains("solution") &&
                                item["solution"].is_string() && item.contains("score") &&
                                item["score"].is_number_integer() && item.contains("justification") &&
                                item["justification"].is_string();
                if (!ok)
                    return fail("\"evaluation.examples\"[" + std::to_string(i) +
                                "] needs question, solution, justification (strings) and score (integer)");
                const int score = item["score"].get<int>();
                if (score < target.minScore || score > target.maxScore)
                    return fail("\"evaluation.examples\"[" + std::to_string(i) + "].score " +
                                std::to_string(score) + " is outside the scale " +
                                std::to_string(target.minScore) + "–" + std::to_string(target.maxScore));
                target.examples.push_back({item["question"].get<std::string>(),
                                           item["solution"].get<std::string>(), score,
                                           item["justification"].get<std::string>()});
            }
        }
    }

    [[nodiscard]] const std::string& error() const { return m_error; }

private:
    void number(const nlohmann::json& object, const char* key, double& target) {
        if (!object.contains(key))
            return;
        if (!object[key].is_number())
            return fail(std::string("parameters.") + key + " must be a number");
        target = object[key].get<double>();
    }
    void integer(const nlohmann::json& object, const char* key, int& target) {
        if (!object.contains(key))
            return;
        if (!object[key].is_number_integer())
            return fail(std::string("parameters.") + key + " must be an integer");
        target = object[key].get<int>();
    }
    void fail(std::string message) {
        if (m_error.empty())
            m_error = std::move(message);
    }

    const nlohmann::json& m_json;
    std::string m_sourceName;
    std::string m_error;
};

} // namespace

TemplateLoadResult templateFromJson(const nlohmann::json& json, const std::string& id,
                                    const std::string& sourceName) {
    if (!json.is_object())
        return {std::nullopt, sourceName + ": a template must be a JSON object"};
    Template value;
    value.id = id;
    FieldReader reader(json, sourceName);
    reader.string("name", value.name);
    reader.string("description", value.description);
    reader.string("prompt", value.prompt);
    reader.stringList("seeds", value.seeds);
    reader.examples(value.examples);
    reader.string("database_schema", value.databaseSchema);
    reader.outputKeys(value.outputKeys);
    reader.parameters(value.parameters);
    reader.string("validator", value.validator);
    value.evaluation = defaultEvaluationRubric();
    reader.evaluation(value.evaluation);
    if (reader.error().empty() && !value.validator.empty() && value.validator != "sql" &&
        value.validator != "code")
        return {std::nullopt, sourceName + ": \"validator\" must be \"sql\", \"code\" or absent, not \"" +
                                  value.validator + "\""};
    if (!reader.error().empty())
        return {std::nullopt, sourceName + ": " + reader.error()};
    if (value.name.empty())
        value.name = id;
    return {std::move(value), {}};
}

EvaluationRubric defaultEvaluationRubric() {
    EvaluationRubric rubric;
    rubric.prompt =
        "Score how good this question and answer pair is as training data, from 1 (unusable) to 5 "
        "(excellent). Judge whether the answer is correct, whether it answers the whole question, "
        "and whether it is clear. Give a one- or two-sentence justification that names the main "
        "flaw, if any.";
    return rubric;
}

TemplateLoadResult loadTemplateFile(const std::filesystem::path& path) {
    const auto read = readJsonFile(path);
    if (!read.ok())
        return {std::nullopt, read.error};
    auto result = templateFromJson(*read.json, path.stem().string(), path.string());
    if (result.value)
        result.value->sourceFile = path;
    return result;
}

nlohmann::json templateToJson(const Template& value) {
    nlohmann::json json;
    json["name"] = value.name;
    json["description"] = value.description;
    json["prompt"] = value.prompt;
    json["seeds"] = value.seeds;
    auto& examples = json["examples"] = nlohmann::json::array();
    for (const auto& example : value.examples)
        examples.push_back({{"question", example.question}, {"solution", example.solution}});
    if (!value.databaseSchema.empty())
        json["database_schema"] = value.databaseSchema;
    json["output_keys"] = {{"prompt", value.outputKeys.prompt}, {"completion", value.outputKeys.completion}};
    json["parameters"] = {{"temperature", value.parameters.temperature},
                          {"top_p", value.parameters.topP},
                          {"top_k", value.parameters.topK},
                          {"max_tokens", value.parameters.maxTokens}};
    if (!value.validator.empty())
        json["validator"] = value.validator;
    auto& evaluation = json["evaluation"] = {
        {"prompt", value.evaluation.prompt},
        {"scale", {{"min", value.evaluation.minScore}, {"max", value.evaluation.maxScore}}}};
    auto& scored = evaluation["examples"] = nlohmann::json::array();
    for (const auto& example : value.evaluation.examples)
        scored.push_back({{"question", example.question},
                          {"solution", example.solution},
                          {"score", example.score},
                          {"justification", example.justification}});
    return json;
}

void TemplateRegistry::loadFolder(const std::filesystem::path& folder) {
    std::error_code ec;
    if (!std::filesystem::is_directory(folder, ec))
        return;
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(folder, ec))
        if (entry.is_regular_file() && entry.path().extension() == ".json")
            files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
        auto loaded = loadTemplateFile(file);
        if (!loaded.value) {
            m_errors.push_back(loaded.error);
            continue;
        }
        const auto existing = std::find_if(m_templates.begin(), m_templates.end(),
                                           [&](const Template& t) { return t.id == loaded.value->id; });
        if (existing != m_templates.end())
            *existing = std::move(*loaded.value);
        else
            m_templates.push_back(std::move(*loaded.value));
    }
}

const Template* TemplateRegistry::find(const std::string& id) const {
    const auto it =
        std::find_if(m_templates.begin(), m_templates.end(), [&](const Template& t) { return t.id == id; });
    return it == m_templates.end() ? nullptr : &*it;
}

std::vector<std::string> TemplateRegistry::ids() const {
    std::vector<std::string> ids;
    for (const auto& t : m_templates)
        ids.push_back(t.id);
    return ids;
}

} // namespace sds
