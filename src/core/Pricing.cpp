#include "core/Pricing.h"

#include "core/JsonFile.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace sds {
namespace {

constexpr const char* kBedrockRegionPrefixes[] = {"us.", "eu.", "apac.", "global.", "us-gov.", "jp.", "au."};

std::string describeValue(const nlohmann::json& value) {
    return value.is_string() ? "\"" + value.get<std::string>() + "\"" : value.dump();
}

} // namespace

std::string PriceTable::loadFile(const std::filesystem::path& file) {
    const auto read = readJsonFile(file);
    if (!read.ok())
        return read.error;
    return loadJson(*read.json, file.string());
}

std::string PriceTable::loadJson(const nlohmann::json& json, const std::string& sourceName) {
    if (!json.is_object() || !json.contains("prices") || !json["prices"].is_object())
        return sourceName + ": a price file is a JSON object with \"prices\": {provider: {model: {\"input\": "
                            "USD per 1M tokens, \"output\": USD per 1M tokens}}}";
    std::vector<PriceEntry> loaded;
    for (const auto& [provider, models] : json["prices"].items()) {
        if (!models.is_object())
            return sourceName + ": prices." + provider + " must be an object of models";
        for (const auto& [model, price] : models.items()) {
            const std::string field = "prices." + provider + "[\"" + model + "\"]";
            if (!price.is_object())
                return sourceName + ": " + field + " must be {\"input\": number, \"output\": number}";
            PriceEntry entry{provider, model, {}};
            for (const auto& [key, target] : {std::pair{"input", &entry.price.inputPerMillion},
                                              std::pair{"output", &entry.price.outputPerMillion}}) {
                const auto value = price.find(key);
                if (value == price.end())
                    return sourceName + ": " + field + " has no \"" + key + "\" price (USD per 1M tokens)";
                if (!value->is_number() || !std::isfinite(value->get<double>()) || value->get<double>() < 0)
                    return sourceName + ": " + field + "." + key +
                           " must be a number of USD per 1M tokens, at least 0, not " + describeValue(*value);
                *target = value->get<double>();
            }
            loaded.push_back(std::move(entry));
        }
    }
    std::string source = sourceName;
    if (json.contains("as_of") && json["as_of"].is_string())
        source += ", as of " + json["as_of"].get<std::string>();
    for (const auto& entry : loaded)
        set(entry, source);
    return {};
}

void PriceTable::set(const PriceEntry& entry, const std::string& source) {
    const auto existing = std::find_if(m_entries.begin(), m_entries.end(), [&](const PriceEntry& e) {
        return e.provider == entry.provider && e.model == entry.model;
    });
    if (existing != m_entries.end()) {
        existing->price = entry.price;
        m_sources[static_cast<std::size_t>(existing - m_entries.begin())] = source;
        return;
    }
    m_entries.push_back(entry);
    m_sources.push_back(source);
}

std::optional<FoundPrice> PriceTable::find(const std::string& provider, const std::string& model) const {
    const auto lookup = [&](const std::string& name) -> std::optional<FoundPrice> {
        for (std::size_t i = 0; i < m_entries.size(); ++i)
            if (m_entries[i].provider == provider && m_entries[i].model == name)
                return FoundPrice{m_entries[i].price, m_sources[i]};
        return std::nullopt;
    };
    if (auto exact = lookup(model))
        return exact;
    if (provider == "bedrock")
        for (const std::string prefix : kBedrockRegionPrefixes)
            if (model.starts_with(prefix))
                if (auto base = lookup(model.substr(prefix.size())))
                    return base;
    return lookup("*");
}

nlohmann::json priceFileJson(const std::vector<PriceEntry>& entries, const std::string& note) {
    nlohmann::json prices = nlohmann::json::object();
    for (const auto& entry : entries)
        prices[entry.provider][entry.model] = {{"input", entry.price.inputPerMillion},
                                               {"output", entry.price.outputPerMillion}};
    return {{"note", note}, {"prices", prices}};
}

std::string formatUsd(double usd) {
    char text[32];
    if (usd == 0 || std::abs(usd) >= 0.01)
        std::snprintf(text, sizeof text, "$%.2f", usd);
    else
        std::snprintf(text, sizeof text, "$%.3g", usd);
    return text;
}

} // namespace sds
