// The embedded model end to end: the real llama.cpp runtime and the real Gemma 3 270M GGUF that
// scripts/setup.sh installs. Kept short in tokens so it runs in well under a minute.
#include "CliProcess.h"
#include "core/Journal.h"
#include "core/JsonFile.h"
#include "providers/local/LocalProvider.h"
#include "providers/local/LocalServer.h"
#include "testsupport/TempDir.h"

#include <arpa/inet.h>
#include <csignal>
#include <cstdlib>
#include <dirent.h>
#include <fstream>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <set>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

namespace sds::testing {
namespace {

using providers::SystemEnvironment;
using namespace providers::local;

// The tests need the runtime installed by set-up; SDS_SKIP_LOCAL_MODEL=1 (set-up without the model)
// skips them visibly instead of failing.
bool runtimeMissing(std::string* why) {
    auto manifest = loadManifest(SystemEnvironment{});
    if (manifest.ok())
        return false;
    *why = manifest.error().message;
    return true;
}

#define REQUIRE_LOCAL_RUNTIME()                                                                              \
    do {                                                                                                     \
        std::string why;                                                                                     \
        if (runtimeMissing(&why)) {                                                                          \
            const char* skip = std::getenv("SDS_SKIP_LOCAL_MODEL");                                          \
            if (skip && std::string(skip) == "1")                                                            \
                GTEST_SKIP() << "embedded model not installed (SDS_SKIP_LOCAL_MODEL=1): " << why;            \
            FAIL() << why;                                                                                   \
        }                                                                                                    \
    } while (false)

// Processes whose command line mentions the launcher and `--parent-pid <pid>`.
std::vector<pid_t> serversOf(pid_t parent) {
    std::vector<pid_t> found;
    DIR* proc = ::opendir("/proc");
    if (!proc)
        return found;
    while (dirent* entry = ::readdir(proc)) {
        const pid_t pid = std::atoi(entry->d_name);
        if (pid <= 0)
            continue;
        std::ifstream in("/proc/" + std::string(entry->d_name) + "/cmdline", std::ios::binary);
        std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        if (cmdline.find("sds_local_server.py") != std::string::npos &&
            cmdline.find(std::string("--parent-pid") + '\0' + std::to_string(parent) + '\0') !=
                std::string::npos)
            found.push_back(pid);
    }
    ::closedir(proc);
    return found;
}

TEST(LocalModel, GeneratesRealRowsForEverySeedOfflineAndLeavesNoServer) {
    REQUIRE_LOCAL_RUNTIME();
    TempDir project;
    CliProcess process({"generate", "--template", "code_generation", "--size", "2", "--seed", "Python Basics",
                        "--seed", "Sorting Algorithms", "--rows-per-request", "1", "--max-tokens", "300",
                        "--temperature", "0.7"},
                       {{"SDS_PROJECT_DIR", project.path().string()}});
    process.start();
    const auto result = process.wait(std::chrono::seconds(300));
    ASSERT_EQ(result.exitCode, 0) << result.out << result.err;
    std::filesystem::path dataset;
    for (const auto& entry : std::filesystem::directory_iterator(project / "datasets"))
        if (entry.path().string().ends_with("_final.json"))
            dataset = entry.path();
    ASSERT_FALSE(dataset.empty());
    EXPECT_NE(result.out.find(dataset.string()), std::string::npos)
        << "the summary says where the dataset is";
    const auto json = readJsonFile(dataset);
    ASSERT_TRUE(json.ok()) << json.error;
    ASSERT_EQ(json.json->size(), 2U);
    std::set<std::string> seeds;
    for (const auto& row : *json.json) {
        seeds.insert(row["Seeds"].get<std::string>());
        EXPECT_GE(row["Prompt"].get<std::string>().size(), 10U) << row.dump();
        EXPECT_GE(row["Completion"].get<std::string>().size(), 10U) << row.dump();
    }
    EXPECT_EQ(seeds, (std::set<std::string>{"Python Basics", "Sorting Algorithms"}));
    EXPECT_TRUE(serversOf(process.pid()).empty());
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    EXPECT_TRUE(serversOf(process.pid()).empty()) << "the embedded server outlived the CLI";
}

TEST(LocalModel, MissingModelFileIsNamedWithTheInstallCommand) {
    REQUIRE_LOCAL_RUNTIME();
    providers::ProviderConfig config;
    config.provider = "local";
    config.modelPath = "/nonexistent/models/tiny.gguf";
    const auto provider = LocalProvider::create(config, SystemEnvironment{});
    ASSERT_FALSE(provider.ok());
    EXPECT_NE(provider.error().message.find("/nonexistent/models/tiny.gguf"), std::string::npos);
    EXPECT_NE(provider.error().message.find("scripts/setup.sh"), std::string::npos);
}

TEST(LocalModel, MissingRuntimeIsNamedWithTheInstallCommand) {
    providers::FakeEnvironment environment;
    environment.variables["SDS_CACHE_DIR"] = "/nonexistent/cache";
    providers::ProviderConfig config;
    config.provider = "local";
    const auto provider = LocalProvider::create(config, environment);
    ASSERT_FALSE(provider.ok());
    EXPECT_NE(provider.error().message.find("/nonexistent/cache/local-runtime/current.json"),
              std::string::npos);
    EXPECT_NE(provider.error().message.find("scripts/setup.sh"), std::string::npos);
}

TEST(LocalModel, TakenPortIsReportedNotFoughtOver) {
    REQUIRE_LOCAL_RUNTIME();
    const int blocker = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(blocker, reinterpret_cast<sockaddr*>(&address), sizeof address), 0); // NOLINT
    ASSERT_EQ(::listen(blocker, 1), 0);
    socklen_t length = sizeof address;
    ::getsockname(blocker, reinterpret_cast<sockaddr*>(&address), &length); // NOLINT
    const auto manifest = loadManifest(SystemEnvironment{});
    LocalServerOptions options;
    options.python = manifest.value().python;
    options.serverScript = manifest.value().serverScript;
    options.model = manifest.value().model;
    options.port = ntohs(address.sin_port);
    TempDir logs;
    options.logFile = logs / "server.log";
    LocalServer server(options);
    const auto error = server.start(CancellationToken{});
    ::close(blocker);
    ASSERT_TRUE(error);
    EXPECT_NE(error->message.find("port"), std::string::npos) << error->message;
    EXPECT_FALSE(server.running());
}

TEST(LocalModel, ServerThatDiesMidRunIsRestartedAndTheRunFinishes) {
    REQUIRE_LOCAL_RUNTIME();
    TempDir project;
    // One row per seed: a 270M model asked three times about one topic often repeats itself, and the
    // test is about the restart, not about how many near-duplicates the model writes.
    CliProcess process({"generate", "--size", "3", "--seed", "Python Basics", "--seed", "Reading Files",
                        "--seed", "Sorting Lists", "--rows-per-request", "1", "--concurrency", "1",
                        "--max-tokens", "200"},
                       {{"SDS_PROJECT_DIR", project.path().string()}});
    process.start();
    std::vector<pid_t> servers;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (servers.empty() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        servers = serversOf(process.pid());
    }
    ASSERT_FALSE(servers.empty()) << "the CLI never started the embedded server";
    std::size_t rows = 0;
    while (rows == 0 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        std::error_code ec;
        for (const auto& entry : std::filesystem::directory_iterator(project / "runs", ec))
            rows = Journal::read(entry.path() / "journal.jsonl", [](JournalRow&&) {}).rows;
    }
    ASSERT_GT(rows, 0U) << "no row arrived before the deadline";
    ::kill(servers.front(), SIGKILL);
    const auto result = process.wait(std::chrono::seconds(300));
    EXPECT_EQ(result.exitCode, 0) << result.out << result.err;
    EXPECT_NE(result.out.find("rows:     3 of 3"), std::string::npos) << result.out;
    EXPECT_TRUE(serversOf(process.pid()).empty());
}

} // namespace
} // namespace sds::testing
