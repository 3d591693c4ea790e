#pragma once

#include "core/Cancellation.h"
#include "providers/Provider.h"
#include "providers/ProviderConfig.h"

#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <sys/types.h>

namespace sds::providers::local {

// Where set-up put the embedded runtime: the manifest written by scripts/setup-local-model.sh.
struct RuntimeManifest {
    std::filesystem::path python;
    std::filesystem::path serverScript;
    std::filesystem::path model; // the default GGUF
    std::string runtime;         // e.g. "xllamacpp==…"
    std::string modelPackage;
};

[[nodiscard]] std::filesystem::path cacheDir(const Environment& environment);
[[nodiscard]] std::filesystem::path manifestPath(const Environment& environment);
// The manifest, or a one-line error naming what is missing and the command that installs it.
[[nodiscard]] Result<RuntimeManifest> loadManifest(const Environment& environment);

struct LocalServerOptions {
    std::filesystem::path python;
    std::filesystem::path serverScript;
    std::filesystem::path model;
    int port = 0;           // 0: pick a free port
    int contextSize = 4096; // per slot
    int parallelSlots = 2;  // more slots than cores gains nothing on a CPU
    int threads = 0;        // 0: the runtime decides
    std::chrono::milliseconds startTimeout{std::chrono::minutes(2)};
    std::filesystem::path logFile; // the server's output; empty: discarded
};

// The embedded llama.cpp server as a child process on 127.0.0.1. It dies with its parent (the kernel
// sends it SIGKILL when the parent dies, and it watches the parent itself), and is stopped here on
// destruction.
class LocalServer {
public:
    explicit LocalServer(LocalServerOptions options);
    ~LocalServer();
    LocalServer(const LocalServer&) = delete;
    LocalServer& operator=(const LocalServer&) = delete;

    // Starts the child and waits for its health check; the reason when it could not.
    [[nodiscard]] std::optional<ProviderError> start(const CancellationToken& cancel);
    void stop();
    // False once the child has exited (it is reaped here).
    [[nodiscard]] bool running();
    [[nodiscard]] int port() const { return m_port; }
    [[nodiscard]] pid_t pid() const { return m_pid; }
    [[nodiscard]] std::string baseUrl() const { return "http://127.0.0.1:" + std::to_string(m_port) + "/v1"; }

private:
    [[nodiscard]] std::string lastLogLines() const;

    LocalServerOptions m_options;
    pid_t m_pid = -1;
    int m_port = 0;
};

// Picks a port that is free right now on 127.0.0.1.
[[nodiscard]] int findFreePort();
// Stops every local server this process started (for signal handlers and exit paths).
void stopAllLocalServers();

} // namespace sds::providers::local
