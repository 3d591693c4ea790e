// Generation speed of the embedded model through the app: a LocalProvider made by LocalProvider::create
// (manifest from scripts/setup-local-model.sh, SystemEnvironment) starts the launcher
// (sds_local_server.py → xllamacpp) exactly as `sds generate --provider local` does, and the same chat
// request is sent N times. Per request it prints one JSON line: completion tokens from the answer's usage,
// wall time of LocalProvider::chat() (build the body, libcurl, the launcher's Python front end,
// llama.cpp's HTTP server, decoding, and back), tokens/s = completion tokens / wall time, and llama.cpp's
// own `timings` (prompt and decode time inside the server), so wall − server time is what the path
// around llama.cpp costs.
//
// Its counterpart bench/local_model_direct.py drives the same runtime in process with the same GGUF,
// settings and request body; scripts/bench-local-model.sh runs both alternately and prints the ratio.
//
// The transport is libcurl (http::defaultTransport()) wrapped only to keep a copy of the request body
// (printed once, so the direct side can send the very same body) and of the answer's body (for the
// server timings, which ChatResponse does not carry); it changes nothing that is sent or received.
//
// --stdin: read commands from stdin instead, one per line, and print {"event": "batch_done"} after each:
//   warmup N | run N ROUND | quit

#include "core/Cancellation.h"
#include "providers/ProviderConfig.h"
#include "providers/http/Http.h"
#include "providers/local/LocalProvider.h"
#include "providers/local/LocalServer.h"

#include <CLI/CLI.hpp>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <spdlog/spdlog.h>
#include <sstream>
#include <string>
#include <thread>
#include <unistd.h>

namespace {

using namespace sds;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

constexpr const char* kSide = "app";

// A prompt the base Gemma 3 270M answers at length at temperature 0 (it reaches max_tokens rather than
// stopping early), so both sides decode the same number of tokens.
constexpr const char* kDefaultSystem = "You are a helpful assistant who writes clear technical tutorials.";
constexpr const char* kDefaultPrompt =
    "Write a detailed, step-by-step tutorial on building a small web application with Flask: "
    "installing it, the first route, templates, forms, a database, and deployment.";

// The shape of a row the app asks for (question/solution, bounded strings), used with --schema.
json rowSchema() {
    return json::parse(R"({
      "type": "object",
      "properties": {
        "question": {"type": "string", "minLength": 20, "maxLength": 300},
        "solution": {"type": "string", "minLength": 20, "maxLength": 800}
      },
      "required": ["question", "solution"],
      "additionalProperties": false
    })");
}

struct Settings {
    int requests = 5;
    int warmup = 1;
    int maxTokens = 128;
    double temperature = 0.0;
    std::string system = kDefaultSystem;
    std::string prompt = kDefaultPrompt;
    bool schema = false;
    bool stdinMode = false;
    std::string modelPath;
};

// Keeps copies of the last request and answer bodies; sends and receives exactly what libcurl does.
struct Recorder {
    std::mutex mutex;
    std::string lastRequestBody;
    std::string lastResponseBody;
};

void emit(const json& line) {
    std::cout << line.dump() << '\n' << std::flush;
}

double num(const json& object, const char* key) {
    if (object.is_object() && object.contains(key) && object[key].is_number())
        return object[key].get<double>();
    return -1.0;
}

class Bench {
public:
    Bench(Settings settings, std::shared_ptr<providers::Provider> provider,
          std::shared_ptr<Recorder> recorder)
        : m_settings(std::move(settings)), m_provider(std::move(provider)), m_recorder(std::move(recorder)) {
        m_request.model = m_provider->defaultModel();
        if (!m_settings.system.empty())
            m_request.messages.push_back({providers::ChatMessage::Role::System, m_settings.system});
        m_request.messages.push_back({providers::ChatMessage::Role::User, m_settings.prompt});
        m_request.temperature = m_settings.temperature;
        m_request.maxTokens = m_settings.maxTokens;
        if (m_settings.schema)
            m_request.jsonSchema = rowSchema();
    }

    // One request; false when it failed (the error is printed as a JSON line).
    bool one(const std::string& phase, int round, int index) {
        const auto start = Clock::now();
        auto result = m_provider->chat(m_request, m_cancel);
        const double wallMs = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
        std::string requestBody;
        std::string responseBody;
        {
            std::lock_guard lock(m_recorder->mutex);
            requestBody = m_recorder->lastRequestBody;
            responseBody = m_recorder->lastResponseBody;
        }
        if (!result.ok()) {
            emit(
                {{"side", kSide}, {"event", "error"}, {"phase", phase}, {"message", result.error().message}});
            return false;
        }
        if (!m_bodyPrinted) {
            m_bodyPrinted = true;
            emit({{"side", kSide},
                  {"event", "request_body"},
                  {"body", json::parse(requestBody, nullptr, false)}});
        }
        const auto& response = result.value();
        const auto answer = json::parse(responseBody, nullptr, false);
        const json timings =
            answer.is_object() && answer.contains("timings") ? answer["timings"] : json::object();
        const double promptMs = num(timings, "prompt_ms");
        const double predictedMs = num(timings, "predicted_ms");
        const double tokens = static_cast<double>(response.usage.output);
        json line = {{"side", kSide},
                     {"event", "request"},
                     {"phase", phase},
                     {"round", round},
                     {"i", index},
                     {"prompt_tokens", response.usage.input},
                     {"completion_tokens", response.usage.output},
                     {"finish_reason", response.stopReason},
                     {"wall_ms", wallMs},
                     {"tok_per_s", wallMs > 0 ? tokens / (wallMs / 1000.0) : 0.0},
                     {"server_prompt_ms", promptMs},
                     {"server_predicted_ms", predictedMs},
                     {"server_cached_tokens", num(timings, "cache_n")},
                     {"server_decode_tok_per_s", num(timings, "predicted_per_second")}};
        if (promptMs >= 0 && predictedMs >= 0)
            line["overhead_ms"] = wallMs - promptMs - predictedMs;
        line["text_chars"] = response.text.size();
        emit(line);
        return true;
    }

    bool batch(const std::string& phase, int round, int count) {
        for (int i = 0; i < count; ++i)
            if (!one(phase, round, i))
                return false;
        return true;
    }

private:
    Settings m_settings;
    std::shared_ptr<providers::Provider> m_provider;
    std::shared_ptr<Recorder> m_recorder;
    providers::ChatRequest m_request;
    CancellationToken m_cancel;
    bool m_bodyPrinted = false;
};

// The launcher's READY line (its settings: ctx_per_slot, parallel, threads, ...) from the log file that
// LocalProvider::create gives the server; null when it cannot be found within a few seconds.
json launcherReadyLine(const providers::Environment& environment) {
    const auto log = providers::local::cacheDir(environment) / "local-runtime" /
                     ("server-" + std::to_string(::getpid()) + ".log");
    const std::string marker = "SDS_LOCAL_SERVER_READY ";
    for (int attempt = 0; attempt < 50; ++attempt) {
        std::ifstream in(log);
        std::string line;
        while (std::getline(in, line))
            if (line.starts_with(marker))
                return json::parse(line.substr(marker.size()), nullptr, false);
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return nullptr;
}

void onSignal(int) {
    providers::local::stopAllLocalServers();
    std::_Exit(130);
}

int run(const Settings& settings) {
    auto recorder = std::make_shared<Recorder>();
    http::Transport curl = http::defaultTransport();
    http::Transport transport = [curl, recorder](const http::HttpRequest& request,
                                                 const CancellationToken& cancel) {
        {
            std::lock_guard lock(recorder->mutex);
            recorder->lastRequestBody = request.body;
        }
        auto result = curl(request, cancel);
        {
            std::lock_guard lock(recorder->mutex);
            recorder->lastResponseBody = result.body;
        }
        return result;
    };

    providers::ProviderConfig config;
    config.provider = "local";
    config.modelPath = settings.modelPath;
    const providers::SystemEnvironment environment;
    auto created = providers::local::LocalProvider::create(config, environment, transport);
    if (!created.ok()) {
        emit(
            {{"side", kSide}, {"event", "error"}, {"phase", "create"}, {"message", created.error().message}});
        return 1;
    }
    auto provider = created.value();
    auto* local = dynamic_cast<providers::local::LocalProvider*>(provider.get());
    CancellationToken cancel;
    const auto start = Clock::now();
    if (auto error = local->ensureStarted(cancel)) {
        emit({{"side", kSide}, {"event", "error"}, {"phase", "start"}, {"message", error->message}});
        return 1;
    }
    emit({{"side", kSide},
          {"event", "ready"},
          {"start_ms", std::chrono::duration<double, std::milli>(Clock::now() - start).count()},
          {"model", provider->defaultModel()},
          {"server_pid", local->server()->pid()},
          {"url", local->server()->baseUrl()},
          {"launcher", launcherReadyLine(environment)}});

    Bench bench(settings, provider, recorder);
    if (!settings.stdinMode) {
        if (!bench.batch("warmup", 0, settings.warmup) || !bench.batch("measure", 1, settings.requests))
            return 1;
        return 0;
    }
    std::string command;
    while (std::getline(std::cin, command)) {
        std::istringstream words(command);
        std::string verb;
        int count = 0;
        int round = 0;
        words >> verb >> count >> round;
        if (verb == "quit")
            break;
        bool ok = true;
        if (verb == "warmup")
            ok = bench.batch("warmup", 0, count);
        else if (verb == "run")
            ok = bench.batch("measure", round, count);
        else if (!verb.empty())
            emit({{"side", kSide},
                  {"event", "error"},
                  {"phase", "command"},
                  {"message", "unknown: " + command}});
        emit({{"side", kSide}, {"event", "batch_done"}, {"ok", ok}});
        if (!ok)
            return 1;
    }
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    Settings settings;
    CLI::App app{"Embedded model generation speed through the app (LocalProvider → launcher → llama.cpp), "
                 "one JSON line per request"};
    app.add_option("--requests", settings.requests, "Measured requests (without --stdin)")
        ->capture_default_str()
        ->check(CLI::Range(1, 100000));
    app.add_option("--warmup", settings.warmup, "Warm-up requests before measuring (without --stdin)")
        ->capture_default_str()
        ->check(CLI::Range(0, 1000));
    app.add_option("--max-tokens", settings.maxTokens, "max_tokens of every request")
        ->capture_default_str()
        ->check(CLI::Range(1, 2048));
    app.add_option("--temperature", settings.temperature, "Sampling temperature")->capture_default_str();
    app.add_option("--system", settings.system, "System message (empty: none)");
    app.add_option("--prompt", settings.prompt, "User message");
    app.add_flag("--schema", settings.schema,
                 "Ask for a question/solution JSON object (response_format json_schema), as generation does");
    app.add_option("--model", settings.modelPath, "GGUF file (default: the manifest's model)");
    app.add_flag(
        "--stdin", settings.stdinMode,
        "Read commands from stdin: 'warmup N', 'run N ROUND', 'quit'; {\"event\":\"batch_done\"} after each");
    CLI11_PARSE(app, argc, argv);

    spdlog::set_level(spdlog::level::warn);
    struct sigaction action {};
    action.sa_handler = onSignal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
    std::signal(SIGPIPE, SIG_IGN);
    return run(settings);
}
