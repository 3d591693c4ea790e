#pragma once

#include "core/Cancellation.h"
#include "core/Job.h"
#include "core/Project.h"
#include "core/RunHistory.h"
#include "engine/GenerationRun.h"
#include "providers/Provider.h"

#include <CLI/CLI.hpp>
#include <atomic>
#include <memory>
#include <string>
#include <thread>

namespace sds::cli {

enum ExitCode { kOk = 0, kRunFailed = 1, kBadInput = 2, kPartial = 3, kCancelled = 130 };

// Prints "sds: error: <message>" and returns `code`.
int fail(int code, const std::string& message);
void warn(const std::string& message);

std::string formatSeconds(double seconds);
// `text` on one line (runs of white space become one space), cut to at most `maxCharacters` UTF-8
// characters with "…" at the end when it was longer; never splits a character.
std::string oneLine(std::string_view text, std::size_t maxCharacters);
// "1 element", "3 elements".
std::string countOf(std::size_t count, const std::string& noun);
std::string formatTime(std::int64_t ms);

// SIGINT/SIGTERM: the first asks the running work to stop and keep what it has, the second quits.
void installInterruptHandlers();

// Cancels `token` when the user presses Ctrl-C, while it lives.
class CancelOnInterrupt {
public:
    explicit CancelOnInterrupt(CancellationToken& token);
    ~CancelOnInterrupt();
    CancelOnInterrupt(const CancelOnInterrupt&) = delete;
    CancelOnInterrupt& operator=(const CancelOnInterrupt&) = delete;

private:
    std::atomic<bool> m_finished{false};
    std::thread m_watcher;
};

// A progress bar on a terminal, a line per tenth otherwise. `unit` names what is counted ("rows").
class ProgressPrinter {
public:
    explicit ProgressPrinter(std::string unit = "rows");
    void update(const engine::Progress& progress);
    void finish();

private:
    std::string m_unit;
    bool m_terminal;
    bool m_dirty = false;
    int m_lastDecile = 0;
};

int openHistory(const Project& project, RunHistory& history);

// --provider, --model, --endpoint, --region, --profile, --ca-bundle.
void addProviderOptions(CLI::App& command, ProviderChoice& choice, const std::string& providerHelp);

// The provider of `choice`, and its default model filled in when none was chosen.
providers::Result<std::shared_ptr<providers::Provider>> providerFor(ProviderChoice& choice,
                                                                    const Project& project);

} // namespace sds::cli
