#include "engine/Spending.h"

#include "core/Text.h"

#include <algorithm>
#include <cmath>

namespace sds::engine {

std::size_t characterCount(std::string_view text) {
    return static_cast<std::size_t>(std::count_if(
        text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::size_t requestCharacters(const providers::ChatRequest& request) {
    std::size_t characters = 0;
    for (const auto& message : request.messages)
        characters += characterCount(message.content);
    if (request.jsonSchema)
        characters += characterCount(request.jsonSchema->dump());
    return characters;
}

std::int64_t tokensFromCharacters(std::size_t characters, double charactersPerToken) {
    return static_cast<std::int64_t>(std::ceil(static_cast<double>(characters) / charactersPerToken));
}

std::optional<FoundPrice> priceOf(const JobSpec& job, const PriceTable& table) {
    if (job.price)
        return FoundPrice{*job.price, "the job"};
    return table.find(job.provider.name, job.provider.model);
}

std::string budgetProblem(const JobSpec& job, const PriceTable& table, const std::string& tableError) {
    if (!job.maxCostUsd || priceOf(job, table))
        return {};
    std::string problem =
        "a budget (max_cost_usd " + text::shortNumber(*job.maxCostUsd) + ") needs the price of " +
        job.provider.name + " / " + (job.provider.model.empty() ? "its default model" : job.provider.model) +
        ", which the price table does not know: give it with --price-in and --price-out (USD "
        "per 1M tokens) or on the Summary page";
    if (!tableError.empty())
        problem += " (" + tableError + ")";
    return problem;
}

double SpendingMeter::upperBoundUsd(const providers::ChatRequest& request) const {
    if (!m_spending.price)
        return 0;
    const auto input = static_cast<std::int64_t>(
        std::ceil(static_cast<double>(tokensFromCharacters(requestCharacters(request))) * m_inputScale));
    return m_spending.price->costUsd(input, request.maxTokens);
}

std::optional<double> SpendingMeter::reserve(const providers::ChatRequest& request) {
    const double bound = upperBoundUsd(request);
    if (m_spending.capUsd && m_spending.price) {
        const double committed = m_spending.spentBeforeUsd + m_spentThisSessionUsd + m_reservedUsd + bound;
        // A relative slack so that sums of prices that should meet the cap exactly are not refused.
        if (m_capReached || committed > *m_spending.capUsd * (1 + 1e-9)) {
            m_capReached = true;
            return std::nullopt;
        }
    }
    m_reservedUsd += bound;
    return bound;
}

void SpendingMeter::release(double reservation, const providers::ChatRequest& request,
                            const std::optional<providers::TokenUsage>& used) {
    m_reservedUsd = std::max(0.0, m_reservedUsd - reservation);
    if (!used || !m_spending.price)
        return;
    m_spentThisSessionUsd += m_spending.price->costUsd(used->input, used->output);
    const auto counted = tokensFromCharacters(requestCharacters(request));
    if (counted > 0)
        m_inputScale =
            std::max(m_inputScale, static_cast<double>(used->input) / static_cast<double>(counted));
}

std::optional<double> SpendingMeter::spentUsd() const {
    if (!m_spending.price)
        return std::nullopt;
    return m_spending.spentBeforeUsd + m_spentThisSessionUsd;
}

} // namespace sds::engine
