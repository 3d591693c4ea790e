#pragma once

#include "providers/Provider.h"

#include <atomic>
#include <functional>
#include <gmock/gmock.h>
#include <mutex>
#include <vector>

namespace sds::testing {

// The gmock implementation of the provider interface.
class MockProvider : public providers::Provider {
public:
    MOCK_METHOD(std::string, name, (), (const, override));
    MOCK_METHOD(providers::ChatResult, chat, (const providers::ChatRequest&, const CancellationToken&),
                (override));
    MOCK_METHOD(providers::ModelListResult, listModels, (const CancellationToken&), (override));
    MOCK_METHOD(std::string, defaultModel, (), (const, override));
};

// A provider that answers like a model would, for engine tests without HTTP: it reads "Create N"
// and the topic from the prompt and returns N fresh items, unless `script` decides otherwise for
// the n-th call (0-based). Thread-safe; records the largest number of calls in flight at once.
class ScriptedProvider : public providers::Provider {
public:
    using Script =
        std::function<std::optional<providers::ChatResult>(int call, const providers::ChatRequest&)>;

    explicit ScriptedProvider(Script script = {}, std::chrono::milliseconds latency = {});

    [[nodiscard]] std::string name() const override { return "scripted"; }
    [[nodiscard]] providers::ChatResult chat(const providers::ChatRequest& request,
                                             const CancellationToken& cancel) override;
    [[nodiscard]] providers::ModelListResult listModels(const CancellationToken&) override {
        return std::vector<providers::ModelInfo>{{"scripted-model", "Scripted"}};
    }
    [[nodiscard]] std::string defaultModel() const override { return "scripted-model"; }

    [[nodiscard]] int calls() const { return m_calls.load(); }
    [[nodiscard]] int maxInFlight() const { return m_maxInFlight.load(); }
    [[nodiscard]] std::vector<providers::ChatRequest> requests() const;

    // The answer a cooperative model gives to this request: N unique items about the topic.
    static providers::ChatResponse answer(const providers::ChatRequest& request, int uniqueBase);
    static int requestedCount(const providers::ChatRequest& request);
    static std::string requestedTopic(const providers::ChatRequest& request);

private:
    Script m_script;
    std::chrono::milliseconds m_latency;
    std::atomic<int> m_calls{0};
    std::atomic<int> m_inFlight{0};
    std::atomic<int> m_maxInFlight{0};
    mutable std::mutex m_mutex;
    std::vector<providers::ChatRequest> m_requests;
};

} // namespace sds::testing
