// Cost of near-duplicate detection (quality::NearDuplicateIndex: MinHash + LSH candidates, exact ROUGE-L on
// them) against the exact-duplicate set the engine keeps (a hash of normalizedQuestion per accepted row), for
// the same generated questions in the same process: the time ratio, candidates per question, and memory.
//
// The questions imitate generated ones: a shared opening ("Write a Python function that", "How do I", ...)
// then words drawn from a Zipf-like vocabulary with common English words mixed in; a share of them are edited
// copies (1-3 word edits) or re-cased copies of earlier ones.

#include "BenchSupport.h"
#include "core/RowParsing.h"
#include "core/quality/NearDuplicateIndex.h"
#include "core/quality/RougeL.h"

#include <CLI/CLI.hpp>
#include <chrono>
#include <cmath>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <unordered_set>
#include <vector>

namespace {

using sds::bench::heapBytes;
using sds::bench::statusKb;

double secondsSince(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

class QuestionMaker {
public:
    explicit QuestionMaker(unsigned seed) : random_(seed) {
        const std::vector<std::string> syllables = {"ka", "lo", "mi", "ne", "su", "ta", "ri",
                                                    "po", "ve", "da", "zu", "fe", "gi", "ho",
                                                    "ja", "bu", "se", "ar", "en", "ol"};
        for (const auto& a : syllables)
            for (const auto& b : syllables)
                for (const auto& c : {"", "n", "r", "s", "ter", "ing", "ion"})
                    vocabulary_.push_back(a + b + c);
        std::shuffle(vocabulary_.begin(), vocabulary_.end(), random_);
    }

    std::string question() {
        static const std::vector<std::string> openings = {"Write a Python function that",
                                                          "How do I",
                                                          "What is the difference between",
                                                          "Explain how to",
                                                          "Write a SQL query to find the",
                                                          "How can I",
                                                          "Implement a class that",
                                                          "Create a script to",
                                                          "What does",
                                                          "Show how to use",
                                                          "Why does",
                                                          "Write a query that lists all"};
        static const std::vector<std::string> common = {"the",  "a",    "of", "in",    "to",    "and", "with",
                                                        "for",  "from", "by", "each",  "all",   "is",  "an",
                                                        "that", "on",   "as", "their", "using", "into"};
        std::string text = openings[random_() % openings.size()];
        const std::size_t words = 5 + random_() % 16;
        for (std::size_t i = 0; i < words; ++i) {
            text += ' ';
            text += random_() % 3 == 0 ? common[random_() % common.size()] : word();
        }
        return text + "?";
    }

    std::string edited(const std::string& question) {
        auto words = sds::quality::rougeTokens(question);
        const int edits = 1 + static_cast<int>(random_() % 3);
        for (int e = 0; e < edits && words.size() > 2; ++e) {
            const std::size_t at = random_() % words.size();
            switch (random_() % 3) {
            case 0:
                words[at] = word();
                break;
            case 1:
                words.erase(words.begin() + static_cast<std::ptrdiff_t>(at));
                break;
            default:
                words.insert(words.begin() + static_cast<std::ptrdiff_t>(at), word());
            }
        }
        std::string text;
        for (const auto& w : words)
            text += (text.empty() ? "" : " ") + w;
        return text + "?";
    }

    std::mt19937& random() { return random_; }

private:
    std::string word() {
        const double u = std::uniform_real_distribution<double>(0.0, 1.0)(random_);
        const auto index = static_cast<std::size_t>(std::pow(static_cast<double>(vocabulary_.size()), u)) - 1;
        return vocabulary_[std::min(index, vocabulary_.size() - 1)];
    }

    std::mt19937 random_;
    std::vector<std::string> vocabulary_;
};

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"Near-duplicate index against the exact-duplicate set, on generated questions"};
    int count = 100000;
    double threshold = 0.7;
    double editedShare = 0.03;
    double repeatedShare = 0.02;
    unsigned seed = 1;
    bool json = false;
    std::string spillFolder;
    std::size_t hotLimit = sds::quality::NearDuplicateIndex::kDefaultHotLimit;
    app.add_option("--count", count, "questions to insert")->capture_default_str();
    app.add_option("--threshold", threshold, "ROUGE-L F1 above which a question is a near-duplicate")
        ->capture_default_str();
    app.add_option("--edited-share", editedShare, "share of questions that are edited copies")
        ->capture_default_str();
    app.add_option("--repeated-share", repeatedShare, "share of questions that are re-cased exact copies")
        ->capture_default_str();
    app.add_option("--seed", seed, "random seed")->capture_default_str();
    app.add_option("--spill-folder", spillFolder,
                   "move older questions to files in this folder, as the engine does in a run's folder")
        ->check(CLI::ExistingDirectory);
    app.add_option("--hot-limit", hotLimit, "with --spill-folder: questions kept in memory")
        ->capture_default_str();
    app.add_flag("--json", json, "print one JSON line instead of text");
    CLI11_PARSE(app, argc, argv);

    QuestionMaker maker(seed);
    std::vector<std::string> questions;
    questions.reserve(static_cast<std::size_t>(count));
    std::uniform_real_distribution<double> share(0.0, 1.0);
    for (int i = 0; i < count; ++i) {
        const double roll = share(maker.random());
        if (i > 100 && roll < editedShare) {
            questions.push_back(maker.edited(questions[maker.random()() % questions.size()]));
        } else if (i > 100 && roll < editedShare + repeatedShare) {
            std::string copy = questions[maker.random()() % questions.size()];
            for (auto& c : copy)
                c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
            questions.push_back(copy);
        } else {
            questions.push_back(maker.question());
        }
    }

    // Baseline: what the engine does for exact duplicates.
    const auto heapBeforeSet = heapBytes();
    const auto setStart = std::chrono::steady_clock::now();
    std::unordered_set<std::uint64_t> exact;
    std::size_t exactDuplicates = 0;
    for (const auto& question : questions)
        exactDuplicates +=
            exact.insert(std::hash<std::string>{}(sds::normalizedQuestion(question))).second ? 0 : 1;
    const double setSeconds = secondsSince(setStart);
    const auto setBytes = heapBytes() - heapBeforeSet;

    const long rssBeforeIndexKb = statusKb("VmRSS");
    const auto heapBeforeIndex = heapBytes();
    const auto indexStart = std::chrono::steady_clock::now();
    sds::quality::NearDuplicateIndex index(threshold,
                                           {spillFolder, hotLimit, static_cast<std::size_t>(count)});
    std::size_t nearDuplicates = 0;
    long rssPeakKb = 0;
    for (std::size_t i = 0; i < questions.size(); ++i) {
        nearDuplicates += index.insertIfNovel(questions[i]).nearDuplicate ? 1 : 0;
        if (i % 1024 == 0)
            rssPeakKb = std::max(rssPeakKb, statusKb("VmRSS"));
    }
    index.waitUntilFiled(); // the filing thread's work counts too
    const double indexSeconds = secondsSince(indexStart);
    const auto indexBytes = heapBytes() - heapBeforeIndex;
    const long hwmKb = statusKb("VmHWM");

    const nlohmann::json result = {
        {"questions", count},
        {"threshold", threshold},
        {"bands", index.bands()},
        {"rows_per_band", index.rowsPerBand()},
        {"exact_set_seconds", setSeconds},
        {"exact_duplicates", exactDuplicates},
        {"exact_set_heap_bytes", setBytes},
        {"index_seconds", indexSeconds},
        {"index_us_per_question", indexSeconds * 1e6 / count},
        {"near_duplicates", nearDuplicates},
        {"kept", index.size()},
        {"bucket_entries_per_question", static_cast<double>(index.work().bucketEntries) / count},
        {"rouge_computed_per_question", static_cast<double>(index.work().rougeComputed) / count},
        {"index_heap_bytes", indexBytes},
        {"index_approximate_bytes", index.approximateBytes()},
        {"index_bytes_per_kept_question",
         static_cast<double>(indexBytes) / static_cast<double>(index.size())},
        {"time_ratio_index_over_set", indexSeconds / setSeconds},
        {"heap_ratio_index_over_set", static_cast<double>(indexBytes) / static_cast<double>(setBytes)},
        {"rss_before_index_kb", rssBeforeIndexKb},
        {"rss_peak_during_index_kb", rssPeakKb},
        {"files", index.files()},
        {"file_bytes", index.fileBytes()},
        {"file_reads_per_question", static_cast<double>(index.work().fileReads) / count},
        {"failed_reads", index.work().failedReads},
        {"vm_hwm_kb", hwmKb},
    };
    if (json) {
        std::cout << result.dump() << std::endl;
        return 0;
    }
    std::cout << "questions:                 " << count << " (threshold " << threshold << ", "
              << index.bands() << " bands x " << index.rowsPerBand() << " rows)\n"
              << "exact-duplicate set:       " << setSeconds << " s, " << exactDuplicates << " duplicates, "
              << setBytes / 1024 << " KiB heap\n"
              << "near-duplicate index:      " << indexSeconds << " s (" << indexSeconds * 1e6 / count
              << " us per question), " << nearDuplicates << " near-duplicates, "
              << result["bucket_entries_per_question"].get<double>() << " bucket entries and "
              << result["rouge_computed_per_question"].get<double>() << " ROUGE-L computations per question, "
              << indexBytes / 1024 << " KiB heap (" << result["index_bytes_per_kept_question"].get<double>()
              << " B per kept question)\n"
              << "files:                     " << index.files() << ", " << index.fileBytes() / 1048576
              << " MiB, " << result["file_reads_per_question"].get<double>() << " reads per question\n"
              << "index / set:               time x" << indexSeconds / setSeconds << ", heap x"
              << result["heap_ratio_index_over_set"].get<double>() << "\n"
              << "peak RSS while inserting:  " << rssPeakKb / 1024 << " MiB\n"
              << "peak RSS (VmHWM):          " << hwmKb / 1024 << " MiB, of which before the index "
              << rssBeforeIndexKb / 1024 << " MiB\n";
    return 0;
}
