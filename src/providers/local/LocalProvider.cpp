#include "providers/local/LocalProvider.h"

#include <algorithm>
#include <unistd.h>

namespace sds::providers::local {

Result<std::shared_ptr<Provider>> LocalProvider::create(const ProviderConfig& config,
                                                        const Environment& environment,
                                                        http::Transport transport) {
    auto manifest = loadManifest(environment);
    if (!manifest.ok())
        return manifest.error();
    LocalServerOptions options;
    options.python = manifest.value().python;
    options.serverScript = manifest.value().serverScript;
    options.model =
        config.modelPath.empty() ? manifest.value().model : std::filesystem::path(config.modelPath);
    std::error_code ec;
    if (!std::filesystem::is_regular_file(options.model, ec))
        return ProviderError{
            ErrorKind::UnknownModel,
            "the local model file " + options.model.string() +
                " does not exist: run scripts/setup.sh to install the default model, or choose a "
                "GGUF file with --model PATH.gguf",
            std::nullopt, std::nullopt};
    if (options.model.extension() != ".gguf")
        return ProviderError{ErrorKind::UnknownModel,
                             "the local model " + options.model.string() + " is not a .gguf file",
                             std::nullopt, std::nullopt};
    options.logFile =
        cacheDir(environment) / "local-runtime" / ("server-" + std::to_string(::getpid()) + ".log");
    return std::shared_ptr<Provider>(
        std::make_shared<LocalProvider>(std::move(options), config.modelsDir, std::move(transport)));
}

LocalProvider::LocalProvider(LocalServerOptions options, std::filesystem::path modelsDir,
                             http::Transport transport)
    : m_options(std::move(options)), m_modelsDir(std::move(modelsDir)), m_transport(std::move(transport)) {}

std::optional<ProviderError> LocalProvider::ensureStarted(const CancellationToken& cancel) {
    std::lock_guard lock(m_startMutex);
    if (m_server && m_server->running())
        return std::nullopt;
    m_client.reset();
    m_server = std::make_unique<LocalServer>(m_options);
    if (auto error = m_server->start(cancel))
        return error;
    openai::Connection connection;
    connection.baseUrl = m_server->baseUrl();
    connection.serviceName = "embedded model server";
    connection.timeout = std::chrono::minutes(10);
    connection.extraBody = {{"repeat_penalty", 1.1}}; // llama.cpp: keeps a small model out of loops
    m_client = std::make_unique<openai::OpenAiCompatibleClient>(std::move(connection), m_transport);
    return std::nullopt;
}

ChatResult LocalProvider::chat(const ChatRequest& request, const CancellationToken& cancel) {
    if (auto error = ensureStarted(cancel))
        return *error;
    openai::OpenAiCompatibleClient* client = nullptr;
    {
        std::lock_guard lock(m_startMutex);
        client = m_client.get();
    }
    auto result = client->chat(request, cancel);
    if (!result.ok() && (result.error().kind == ErrorKind::Unreachable ||
                         result.error().kind == ErrorKind::ConnectionDropped)) {
        // The server died: the next attempt (the engine retries) starts a new one.
        auto error = result.error();
        error.kind = ErrorKind::ConnectionDropped;
        error.message = "the embedded model server stopped answering: " + error.message;
        return error;
    }
    return result;
}

ModelListResult LocalProvider::listModels(const CancellationToken&) {
    std::vector<ModelInfo> models;
    models.push_back({m_options.model.string(), m_options.model.filename().string() + " (default)"});
    std::error_code ec;
    if (!m_modelsDir.empty() && std::filesystem::is_directory(m_modelsDir, ec)) {
        std::vector<std::filesystem::path> files;
        for (const auto& entry : std::filesystem::directory_iterator(m_modelsDir, ec))
            if (entry.is_regular_file() && entry.path().extension() == ".gguf")
                files.push_back(entry.path());
        std::sort(files.begin(), files.end());
        for (const auto& file : files)
            if (file != m_options.model)
                models.push_back({file.string(), file.filename().string()});
    }
    return models;
}

std::optional<std::int64_t> LocalProvider::countTokens(const std::string& text,
                                                       const CancellationToken& cancel) {
    if (ensureStarted(cancel))
        return std::nullopt;
    http::HttpRequest request;
    request.method = "POST";
    {
        std::lock_guard lock(m_startMutex);
        request.url = "http://127.0.0.1:" + std::to_string(m_server->port()) + "/tokenize";
    }
    request.headers = {{"Content-Type", "application/json"}};
    request.body = nlohmann::json{{"content", text}, {"add_special", true}}.dump();
    request.timeout = std::chrono::seconds(30);
    const auto result = m_transport(request, cancel);
    if (!result.ok())
        return std::nullopt;
    const auto body = nlohmann::json::parse(result.body, nullptr, false);
    if (!body.is_object() || !body.contains("tokens") || !body["tokens"].is_array())
        return std::nullopt;
    return static_cast<std::int64_t>(body["tokens"].size());
}

std::string LocalProvider::defaultModel() const {
    return m_options.model.string();
}

} // namespace sds::providers::local
