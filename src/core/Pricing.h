#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace sds {

// What a model charges, in USD per million tokens.
struct TokenPrice {
    double inputPerMillion = 0;
    double outputPerMillion = 0;
    [[nodiscard]] double costUsd(std::int64_t inputTokens, std::int64_t outputTokens) const {
        return (static_cast<double>(inputTokens) * inputPerMillion +
                static_cast<double>(outputTokens) * outputPerMillion) /
               1e6;
    }
    bool operator==(const TokenPrice&) const = default;
};

// Bedrock batch inference costs this fraction of the on-demand price.
inline constexpr double kBatchPriceFactor = 0.5;
[[nodiscard]] inline TokenPrice batchPrice(const TokenPrice& onDemand) {
    return {onDemand.inputPerMillion * kBatchPriceFactor, onDemand.outputPerMillion * kBatchPriceFactor};
}

// One line of the price table. The model "*" prices every model of the provider (the embedded model).
struct PriceEntry {
    std::string provider;
    std::string model;
    TokenPrice price;
    bool operator==(const PriceEntry&) const = default;
};

// A price found for a provider and model, and where it came from ("resources/prices.json, as of …").
struct FoundPrice {
    TokenPrice price;
    std::string source;
};

// Prices per provider and model: the built-in file (resources/prices.json), then the project's
// prices.json, whose entries replace or add to it. The file format:
//   {"as_of": "2025-06-01", "source": "…",
//    "prices": {"bedrock": {"anthropic.claude-…": {"input": 3.0, "output": 15.0}}, "local": {"*": …}}}
class PriceTable {
public:
    // Adds the file's entries, replacing those of the same provider and model. A one-line error naming the
    // file and the field when the file is malformed (nothing is added then); empty on success.
    [[nodiscard]] std::string loadFile(const std::filesystem::path& file);
    [[nodiscard]] std::string loadJson(const nlohmann::json& json, const std::string& sourceName);

    // The model's price: an exact entry, then the model without a Bedrock cross-region prefix
    // ("us.", "eu.", "apac.", "global."), then the provider's "*" entry.
    [[nodiscard]] std::optional<FoundPrice> find(const std::string& provider, const std::string& model) const;

    void set(const PriceEntry& entry, const std::string& source);
    [[nodiscard]] const std::vector<PriceEntry>& entries() const { return m_entries; }

private:
    std::vector<PriceEntry> m_entries;
    std::vector<std::string> m_sources; // parallel to m_entries
};

// The file format for `entries` (what the app's Settings write to the project's prices.json).
[[nodiscard]] nlohmann::json priceFileJson(const std::vector<PriceEntry>& entries, const std::string& note);

// "$0.42", "$1234.50", "$0.00312": to the cent, or three significant digits below a cent.
[[nodiscard]] std::string formatUsd(double usd);

} // namespace sds
