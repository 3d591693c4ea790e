#pragma once

#include "core/Job.h"
#include "core/Pricing.h"
#include "providers/Provider.h"

#include <optional>
#include <string>
#include <string_view>

namespace sds::engine {

// Without the model's own tokenizer, a text is counted as this many characters per token.
inline constexpr double kCharactersPerToken = 4.0;

// UTF-8 characters (code points) in `text`.
[[nodiscard]] std::size_t characterCount(std::string_view text);
// What a request's input tokens are counted from: every message and the JSON schema it asks for.
[[nodiscard]] std::size_t requestCharacters(const providers::ChatRequest& request);
[[nodiscard]] std::int64_t tokensFromCharacters(std::size_t characters,
                                                double charactersPerToken = kCharactersPerToken);

// The job's price: its own (typed by the user), else the table's for its provider and model.
[[nodiscard]] std::optional<FoundPrice> priceOf(const JobSpec& job, const PriceTable& table);
// Why the job cannot run with its budget (a cap without a known price), naming what to give; empty when
// it can. `tableError` is why the price table could not be read, if it could not.
[[nodiscard]] std::string budgetProblem(const JobSpec& job, const PriceTable& table,
                                        const std::string& tableError = {});

// What a run's requests cost and how much it may spend.
struct Spending {
    std::optional<TokenPrice> price; // unknown: nothing is counted and no cap applies
    std::optional<double> capUsd;
    double spentBeforeUsd = 0; // by earlier sessions of a resumed run
};

// The running cost of a pool's requests and its cap: a request is sent only while the cost spent, plus
// the upper bound of every request in flight, plus its own, stays within the cap. A request's upper
// bound is its input (counted from its characters, scaled up by the largest ratio of reported to
// counted input tokens seen so far) and max_tokens of output. The pool calls it under its lock.
class SpendingMeter {
public:
    explicit SpendingMeter(Spending spending = {}) : m_spending(spending) {}

    // Reserves the request's upper bound and returns it; nothing when that would pass the cap, which
    // then stays reached.
    [[nodiscard]] std::optional<double> reserve(const providers::ChatRequest& request);
    // The request ended: its reservation is released and what it used, when it was answered, is spent.
    void release(double reservation, const providers::ChatRequest& request,
                 const std::optional<providers::TokenUsage>& used);

    // Spent by the run, earlier sessions included; none when the price is unknown.
    [[nodiscard]] std::optional<double> spentUsd() const;
    [[nodiscard]] std::optional<double> capUsd() const { return m_spending.capUsd; }
    [[nodiscard]] bool capReached() const { return m_capReached; }
    [[nodiscard]] double upperBoundUsd(const providers::ChatRequest& request) const;

private:
    Spending m_spending;
    double m_spentThisSessionUsd = 0;
    double m_reservedUsd = 0;
    double m_inputScale = 1.0;
    bool m_capReached = false;
};

} // namespace sds::engine
