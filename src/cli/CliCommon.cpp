#include "cli/CliCommon.h"

#include "engine/JobSetup.h"
#include "providers/ProviderFactory.h"
#include "providers/local/LocalServer.h"

#include <cmath>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <unistd.h>

namespace sds::cli {
namespace {

std::atomic<int> g_interrupts{0};

void onInterrupt(int) {
    if (g_interrupts.fetch_add(1) >= 1) {
        providers::local::stopAllLocalServers();
        std::_Exit(kCancelled);
    }
}

} // namespace

int fail(int code, const std::string& message) {
    std::cerr << "sds: error: " << message << "\n";
    return code;
}

void warn(const std::string& message) {
    std::cerr << "sds: warning: " << message << "\n";
}

std::string formatSeconds(double seconds) {
    if (seconds < 0)
        return "?";
    const auto total = static_cast<long long>(std::llround(seconds));
    if (total < 60)
        return std::to_string(total) + "s";
    if (total < 3600)
        return std::to_string(total / 60) + "m" + std::to_string(total % 60) + "s";
    return std::to_string(total / 3600) + "h" + std::to_string((total % 3600) / 60) + "m";
}

std::string oneLine(std::string_view text, std::size_t maxCharacters) {
    std::string line;
    std::size_t characters = 0;
    bool space = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto byte = static_cast<unsigned char>(text[i]);
        if (byte == ' ' || byte == '\t' || byte == '\n' || byte == '\r') {
            space = !line.empty();
            continue;
        }
        const bool startsCharacter = (byte & 0xC0) != 0x80;
        if (startsCharacter) {
            if (characters + (space ? 1 : 0) >= maxCharacters) {
                line += "…";
                return line;
            }
            if (space) {
                line += ' ';
                ++characters;
                space = false;
            }
            ++characters;
        }
        line += text[i];
    }
    return line;
}

std::string countOf(std::size_t count, const std::string& noun) {
    return std::to_string(count) + " " + noun + (count == 1 ? "" : "s");
}

std::string formatTime(std::int64_t ms) {
    const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
    std::tm local{};
    localtime_r(&seconds, &local);
    char buffer[32];
    std::strftime(buffer, sizeof buffer, "%Y-%m-%d %H:%M", &local);
    return buffer;
}

void installInterruptHandlers() {
    struct sigaction action {};
    action.sa_handler = onInterrupt;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
}

CancelOnInterrupt::CancelOnInterrupt(CancellationToken& token) {
    m_watcher = std::thread([this, &token] {
        while (!m_finished.load()) {
            if (g_interrupts.load() > 0 && !token.isCancelled()) {
                token.cancel();
                std::fprintf(stderr, "\nCancelling: keeping what arrived (Ctrl-C again to quit now)\n");
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    });
}

CancelOnInterrupt::~CancelOnInterrupt() {
    m_finished = true;
    m_watcher.join();
}

ProgressPrinter::ProgressPrinter(std::string unit)
    : m_unit(std::move(unit)), m_terminal(::isatty(STDERR_FILENO) != 0) {}

void ProgressPrinter::update(const engine::Progress& p) {
    const int total = std::max(1, p.rowsRequested);
    if (m_terminal) {
        constexpr int kWidth = 28;
        const int filled = std::min(kWidth, p.rowsDone * kWidth / total);
        std::string bar(static_cast<std::size_t>(filled), '#');
        bar.append(static_cast<std::size_t>(kWidth - filled), '.');
        const std::string cost = p.costUsd ? "  " + formatUsd(*p.costUsd) : std::string();
        std::fprintf(
            stderr,
            "\r[%s] %d/%d %s  %.1f/s  ETA %s  in flight %d  retries %d  failed %d  tokens %lld/%lld%s ",
            bar.c_str(), p.rowsDone, p.rowsRequested, m_unit.c_str(), p.rowsPerSecond,
            formatSeconds(p.etaSeconds).c_str(), p.inFlight, p.retries, p.failedRequests,
            static_cast<long long>(p.tokens.input), static_cast<long long>(p.tokens.output), cost.c_str());
        std::fflush(stderr);
        m_dirty = true;
    } else {
        const int decile = p.rowsDone * 10 / total;
        if (decile > m_lastDecile) {
            m_lastDecile = decile;
            std::fprintf(stderr, "%d/%d %s (%.1f/s, %d retries, %d failed requests)\n", p.rowsDone,
                         p.rowsRequested, m_unit.c_str(), p.rowsPerSecond, p.retries, p.failedRequests);
        }
    }
}

void ProgressPrinter::finish() {
    if (m_dirty)
        std::fprintf(stderr, "\n");
    m_dirty = false;
}

int openHistory(const Project& project, RunHistory& history) {
    if (auto error = project.ensureExists(); !error.empty())
        return fail(kRunFailed, error);
    if (auto error = history.open(project.historyDatabase()); !error.empty())
        return fail(kRunFailed, error);
    return kOk;
}

void addProviderOptions(CLI::App& command, ProviderChoice& choice, const std::string& providerHelp) {
    command.add_option("--provider", choice.name, providerHelp);
    command.add_option("--model", choice.model, "Model id (for local: a .gguf file)");
    command.add_option("--endpoint", choice.endpoint, "Provider base URL");
    command.add_option("--region", choice.region, "AWS region (bedrock)");
    command.add_option("--profile", choice.profile, "AWS profile (bedrock)");
    command.add_option("--ca-bundle", choice.caBundlePath, "CA bundle file for TLS");
}

providers::Result<std::shared_ptr<providers::Provider>> providerFor(ProviderChoice& choice,
                                                                    const Project& project) {
    auto provider =
        providers::makeProvider(engine::providerConfigFor(choice, project), providers::SystemEnvironment{});
    if (!provider.ok())
        return provider;
    if (choice.model.empty())
        choice.model = provider.value()->defaultModel();
    if (choice.model.empty())
        return providers::ProviderError{providers::ErrorKind::UnknownModel,
                                        "choose a model with --model (see `sds models --provider " +
                                            choice.name + "`)",
                                        std::nullopt, std::nullopt};
    return provider;
}

} // namespace sds::cli
