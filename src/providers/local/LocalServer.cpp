#include "providers/local/LocalServer.h"

#include "core/JsonFile.h"
#include "providers/http/Http.h"

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <condition_variable>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <functional>
#include <netinet/in.h>
#include <set>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace sds::providers::local {
namespace {

std::mutex g_serversMutex;
std::set<pid_t>& liveServers() {
    static std::set<pid_t> servers;
    return servers;
}

// PR_SET_PDEATHSIG fires when the thread that forked the child ends, not the process. Forking from a
// thread that lives as long as the process ties the server's life to the process, whichever worker
// thread first needed it.
pid_t spawnFromLongLivedThread(const std::function<pid_t()>& spawn) {
    struct Spawner {
        std::mutex mutex;
        std::condition_variable changed;
        const std::function<pid_t()>* pending = nullptr;
        pid_t result = -1;
        bool done = false;
    };
    static Spawner* spawner = [] {
        auto* created = new Spawner; // lives until the process ends, as the thread does
        std::thread([created] {
            std::unique_lock lock(created->mutex);
            while (true) {
                created->changed.wait(lock, [&] { return created->pending != nullptr; });
                created->result = (*created->pending)();
                created->pending = nullptr;
                created->done = true;
                created->changed.notify_all();
            }
        }).detach();
        return created;
    }();
    static std::mutex oneAtATime;
    std::lock_guard serial(oneAtATime);
    std::unique_lock lock(spawner->mutex);
    spawner->done = false;
    spawner->pending = &spawn;
    spawner->changed.notify_all();
    spawner->changed.wait(lock, [&] { return spawner->done; });
    return spawner->result;
}

constexpr const char* kInstallHint = "run scripts/setup.sh (or scripts/setup-local-model.sh) to install it";

} // namespace

std::filesystem::path cacheDir(const Environment& environment) {
    if (auto dir = environment.get("SDS_CACHE_DIR"))
        return *dir;
    if (auto xdg = environment.get("XDG_CACHE_HOME"))
        return std::filesystem::path(*xdg) / "synthetic-data-studio";
    return std::filesystem::path(environment.homeDir()) / ".cache" / "synthetic-data-studio";
}

std::filesystem::path manifestPath(const Environment& environment) {
    return cacheDir(environment) / "local-runtime" / "current.json";
}

Result<RuntimeManifest> loadManifest(const Environment& environment) {
    const auto path = manifestPath(environment);
    const auto text = environment.readFile(path.string());
    if (!text)
        return ProviderError{ErrorKind::MissingCredentials,
                             "the embedded model runtime is not installed (no " + path.string() +
                                 "): " + kInstallHint,
                             std::nullopt, std::nullopt};
    const auto json = nlohmann::json::parse(*text, nullptr, false);
    if (json.is_discarded() || !json.is_object())
        return ProviderError{ErrorKind::MissingCredentials,
                             path.string() + " is not valid JSON: " + kInstallHint, std::nullopt,
                             std::nullopt};
    RuntimeManifest manifest;
    manifest.python = json.value("python", std::string());
    manifest.serverScript = json.value("server_script", std::string());
    manifest.model = json.value("model", std::string());
    manifest.runtime = json.value("runtime", std::string());
    manifest.modelPackage = json.value("model_package", std::string());
    std::error_code ec;
    if (manifest.python.empty() || !std::filesystem::exists(manifest.python, ec))
        return ProviderError{ErrorKind::MissingCredentials,
                             "the embedded model runtime's Python (" + manifest.python.string() +
                                 ") is missing: " + kInstallHint,
                             std::nullopt, std::nullopt};
    if (manifest.serverScript.empty() || !std::filesystem::exists(manifest.serverScript, ec))
        return ProviderError{ErrorKind::MissingCredentials,
                             "the embedded model server script (" + manifest.serverScript.string() +
                                 ") is missing: " + kInstallHint,
                             std::nullopt, std::nullopt};
    return manifest;
}

int findFreePort() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return 0;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    int port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) { // NOLINT
        socklen_t length = sizeof address;
        if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) // NOLINT
            port = ntohs(address.sin_port);
    }
    ::close(fd);
    return port;
}

void stopAllLocalServers() {
    std::set<pid_t> servers;
    {
        std::lock_guard lock(g_serversMutex);
        servers = liveServers();
    }
    for (pid_t pid : servers)
        ::kill(pid, SIGTERM);
}

LocalServer::LocalServer(LocalServerOptions options) : m_options(std::move(options)) {}

LocalServer::~LocalServer() {
    stop();
}

bool LocalServer::running() {
    if (m_pid <= 0)
        return false;
    int status = 0;
    if (::waitpid(m_pid, &status, WNOHANG) == m_pid) {
        std::lock_guard lock(g_serversMutex);
        liveServers().erase(m_pid);
        m_pid = -1;
        return false;
    }
    return true;
}

std::string LocalServer::lastLogLines() const {
    if (m_options.logFile.empty())
        return {};
    std::ifstream in(m_options.logFile);
    std::vector<std::string> lines;
    std::string line;
    while (std::getline(in, line))
        if (!line.empty())
            lines.push_back(line);
    return lines.empty() ? std::string() : lines.back();
}

std::optional<ProviderError> LocalServer::start(const CancellationToken& cancel) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(m_options.model, ec))
        return ProviderError{ErrorKind::UnknownModel,
                             "the local model file " + m_options.model.string() + " does not exist: " +
                                 kInstallHint + ", or choose another GGUF file (--model PATH.gguf)",
                             std::nullopt, std::nullopt};
    const pid_t parent = ::getpid();
    for (int attempt = 0; attempt < 3; ++attempt) {
        m_port = m_options.port > 0 ? m_options.port : findFreePort();
        const std::vector<std::string> arguments = {
            m_options.python.string(),
            m_options.serverScript.string(),
            "--model",
            m_options.model.string(),
            "--host",
            "127.0.0.1",
            "--port",
            std::to_string(m_port),
            "--ctx",
            std::to_string(m_options.contextSize),
            "--parallel",
            std::to_string(m_options.parallelSlots),
            "--threads",
            std::to_string(m_options.threads),
            "--parent-pid",
            std::to_string(parent),
        };
        std::vector<char*> argv;
        for (const auto& argument : arguments)
            argv.push_back(
                const_cast<char*>(argument.c_str())); // NOLINT(cppcoreguidelines-pro-type-const-cast)
        argv.push_back(nullptr);
        const std::string logFile =
            m_options.logFile.empty() ? std::string("/dev/null") : m_options.logFile.string();

        const pid_t child = spawnFromLongLivedThread([&]() -> pid_t {
            const pid_t forked = ::fork();
            if (forked != 0)
                return forked;
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (::getppid() != parent)
                ::_exit(1);
            ::setpgid(0, 0); // Ctrl-C reaches the parent, which stops us in order
            const int log = ::open(logFile.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            const int null = ::open("/dev/null", O_RDONLY);
            if (null >= 0)
                ::dup2(null, STDIN_FILENO);
            if (log >= 0) {
                ::dup2(log, STDOUT_FILENO);
                ::dup2(log, STDERR_FILENO);
            }
            ::execv(argv[0], argv.data());
            ::_exit(127);
        });
        if (child < 0)
            return ProviderError{ErrorKind::Other,
                                 std::string("cannot start the local model server: ") + std::strerror(errno),
                                 std::nullopt, std::nullopt};
        m_pid = child;
        {
            std::lock_guard lock(g_serversMutex);
            liveServers().insert(child);
        }

        http::HttpClient client;
        const auto deadline = std::chrono::steady_clock::now() + m_options.startTimeout;
        while (std::chrono::steady_clock::now() < deadline) {
            if (cancel.isCancelled()) {
                stop();
                return ProviderError{ErrorKind::Cancelled, "cancelled", std::nullopt, std::nullopt};
            }
            int status = 0;
            if (::waitpid(m_pid, &status, WNOHANG) == m_pid) {
                {
                    std::lock_guard lock(g_serversMutex);
                    liveServers().erase(m_pid);
                }
                m_pid = -1;
                const std::string last = lastLogLines();
                const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
                if (code == 3)
                    return ProviderError{ErrorKind::UnknownModel,
                                         "the local model server cannot load " + m_options.model.string() +
                                             (last.empty() ? "" : ": " + last),
                                         std::nullopt, std::nullopt};
                if (last.find("port") != std::string::npos && m_options.port == 0)
                    break; // someone took the port in between: try another
                return ProviderError{ErrorKind::Unreachable,
                                     "the local model server exited at start (code " + std::to_string(code) +
                                         ")" + (last.empty() ? "" : ": " + last),
                                     std::nullopt, std::nullopt};
            }
            http::HttpRequest health;
            health.url = "http://127.0.0.1:" + std::to_string(m_port) + "/health";
            health.timeout = std::chrono::seconds(2);
            health.connectTimeout = std::chrono::seconds(1);
            if (client.perform(health, cancel).ok())
                return std::nullopt;
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
        }
        if (m_pid > 0) {
            stop();
            return ProviderError{
                ErrorKind::Timeout,
                "the local model server did not become ready within " +
                    std::to_string(
                        std::chrono::duration_cast<std::chrono::seconds>(m_options.startTimeout).count()) +
                    " s",
                std::nullopt, std::nullopt};
        }
    }
    return ProviderError{ErrorKind::Unreachable, "no free port for the local model server on 127.0.0.1",
                         std::nullopt, std::nullopt};
}

void LocalServer::stop() {
    if (m_pid <= 0)
        return;
    ::kill(m_pid, SIGTERM);
    int status = 0;
    bool exited = false;
    for (int i = 0; i < 50 && !exited; ++i) {
        exited = ::waitpid(m_pid, &status, WNOHANG) == m_pid;
        if (!exited)
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (!exited) {
        ::kill(m_pid, SIGKILL);
        ::waitpid(m_pid, &status, 0);
    }
    {
        std::lock_guard lock(g_serversMutex);
        liveServers().erase(m_pid);
    }
    m_pid = -1;
}

} // namespace sds::providers::local
