#include "testsupport/ScriptedProvider.h"

#include "standin/Generation.h"

#include <regex>
#include <thread>

namespace sds::testing {

ScriptedProvider::ScriptedProvider(Script script, std::chrono::milliseconds latency)
    : m_script(std::move(script)), m_latency(latency) {}

int ScriptedProvider::requestedCount(const providers::ChatRequest& request) {
    static const std::regex pattern(R"(Create (\d+))");
    std::smatch match;
    const std::string& user = request.messages.back().content;
    return std::regex_search(user, match, pattern) ? std::stoi(match[1]) : 1;
}

std::string ScriptedProvider::requestedTopic(const providers::ChatRequest& request) {
    static const std::regex pattern(R"re(topic "([^"]*)")re");
    std::smatch match;
    const std::string& user = request.messages.back().content;
    return std::regex_search(user, match, pattern) ? std::string(match[1]) : std::string();
}

providers::ChatResponse ScriptedProvider::answer(const providers::ChatRequest& request, int uniqueBase) {
    const int count = requestedCount(request);
    const std::string topic = requestedTopic(request);
    nlohmann::json items = nlohmann::json::array();
    for (int i = 0; i < count; ++i)
        items.push_back(
            {{"question", standin::questionText(topic, static_cast<std::uint64_t>(uniqueBase * 100 + i))},
             {"solution", "Answer about " + topic}});
    providers::ChatResponse response;
    response.structured = nlohmann::json{{"items", items}};
    response.text = response.structured->dump();
    response.usage = {100, 50 * count};
    return response;
}

providers::ChatResult ScriptedProvider::chat(const providers::ChatRequest& request,
                                             const CancellationToken& cancel) {
    const int call = m_calls.fetch_add(1);
    const int inFlight = m_inFlight.fetch_add(1) + 1;
    int seen = m_maxInFlight.load();
    while (inFlight > seen && !m_maxInFlight.compare_exchange_weak(seen, inFlight)) {
    }
    {
        std::lock_guard lock(m_mutex);
        m_requests.push_back(request);
    }
    const auto until = std::chrono::steady_clock::now() + m_latency;
    while (std::chrono::steady_clock::now() < until && !cancel.isCancelled())
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    m_inFlight.fetch_sub(1);
    if (cancel.isCancelled())
        return providers::ProviderError{providers::ErrorKind::Cancelled, "cancelled", std::nullopt,
                                        std::nullopt};
    if (m_script)
        if (auto scripted = m_script(call, request))
            return *scripted;
    return answer(request, call);
}

std::vector<providers::ChatRequest> ScriptedProvider::requests() const {
    std::lock_guard lock(m_mutex);
    return m_requests;
}

} // namespace sds::testing
