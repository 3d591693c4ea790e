// sds-standin: the stand-in LLM service as a process, for benchmarks and for trying the CLI by hand.
// Prints "sds-standin listening on http://127.0.0.1:PORT" once it accepts connections and runs until
// SIGINT or SIGTERM.

#include "standin/StandinServer.h"

#include <CLI/CLI.hpp>
#include <csignal>
#include <exception>
#include <iostream>
#include <pthread.h>

int main(int argc, char** argv) {
    sds::standin::StandinOptions options;
    int latencyMs = 0;
    int latencyJitterMs = 0;
    std::string awsAccessKey;
    std::string awsSecretKey;
    std::vector<std::string> models;

    CLI::App app{"Local stand-in for OpenAI-compatible and AWS Bedrock LLM services (binds 127.0.0.1 only)",
                 "sds-standin"};
    app.add_option("--port", options.port, "Port to listen on; 0 picks a free one")->capture_default_str();
    app.add_option("--latency-ms", latencyMs, "Added latency per chat request")->capture_default_str();
    app.add_option("--latency-jitter-ms", latencyJitterMs, "Plus a uniform random 0..N ms")
        ->capture_default_str();
    app.add_option("--bearer-token", options.bearerToken, "Token the OpenAI-style endpoints require");
    app.add_option("--aws-access-key", awsAccessKey, "Access key id the Bedrock endpoints accept (SigV4)");
    app.add_option("--aws-secret-key", awsSecretKey, "Secret for --aws-access-key");
    app.add_option("--aws-region", options.awsRegion, "Region the SigV4 signatures must name")
        ->capture_default_str();
    app.add_option("--model", models, "Model id to serve (repeatable; replaces the default list)");
    app.add_option("--rate-429", options.rate429, "Probability of a 429 per chat request");
    app.add_option("--rate-500", options.rate500, "Probability of a 500");
    app.add_option("--rate-503", options.rate503, "Probability of a 503");
    app.add_option("--rate-drop", options.rateDrop,
                   "Probability of closing the connection without an answer");
    app.add_option("--rate-malformed", options.rateMalformed, "Probability of an answer that is not JSON");
    app.add_option("--rate-messy", options.rateMessy,
                   "Probability of prose + fenced JSON with trailing commas");
    app.add_option("--rate-missing-field", options.rateMissingField,
                   "Probability of an item without a solution");
    app.add_option("--rate-duplicate", options.rateDuplicate, "Probability of repeating an earlier question");
    app.add_option("--rate-degenerate", options.rateDegenerate,
                   "Probability of an item that loops or trails off into brackets");
    app.add_option("--seed", options.seed, "Seed of the fault generator")->capture_default_str();
    app.add_option("--question-vocabulary", options.questionVocabulary,
                   "Words the questions are drawn from (the first 64 real, the rest made up)")
        ->capture_default_str();
    app.add_option("--retry-after", options.retryAfterSeconds,
                   "Retry-After seconds on 429; negative omits it")
        ->capture_default_str();
    app.add_option("--fail-429-first", options.fail429First, "The first N chat requests get 429");
    app.add_option("--fail-500-first", options.fail500First, "The first N chat requests get 500");
    app.add_option("--drop-first", options.dropFirst, "The first N chat requests are dropped");
    app.add_option("--models-status", options.modelsEndpointStatus, "Status of the model-listing endpoints")
        ->capture_default_str();
    app.add_option("--batch-polls", options.batch.pollsUntilDone,
                   "Status checks a batch job answers Submitted/InProgress before it ends")
        ->capture_default_str();
    app.add_option("--batch-fail-every", options.batch.failEveryNthRecord,
                   "Every n-th record of a batch job fails; 0: none");
    app.add_flag("--batch-fail-job", options.batch.failJob, "Batch jobs end Failed without output");
    CLI11_PARSE(app, argc, argv);

    options.latency = std::chrono::milliseconds(latencyMs);
    options.latencyJitter = std::chrono::milliseconds(latencyJitterMs);
    if (awsAccessKey.empty() != awsSecretKey.empty()) {
        std::cerr << "sds-standin: --aws-access-key and --aws-secret-key go together\n";
        return 2;
    }
    if (!awsAccessKey.empty())
        options.awsCredentials[awsAccessKey] = awsSecretKey;
    if (!models.empty())
        options.models = models;

    // Block the stop signals before any thread starts so that only sigwait() below receives them.
    sigset_t stopSignals;
    sigemptyset(&stopSignals);
    sigaddset(&stopSignals, SIGINT);
    sigaddset(&stopSignals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stopSignals, nullptr);

    sds::standin::StandinServer server(options);
    try {
        server.start();
    } catch (const std::exception& error) {
        std::cerr << "sds-standin: " << error.what() << "\n";
        return 1;
    }
    std::cout << "sds-standin listening on " << server.baseUrl() << std::endl;

    int received = 0;
    sigwait(&stopSignals, &received);
    server.stop();
    const auto stats = server.stats();
    std::cerr << "sds-standin: stopped after " << stats.totalRequests << " requests (" << stats.chatRequests
              << " chat, " << stats.faults.total() << " faults injected)\n";
    return 0;
}
