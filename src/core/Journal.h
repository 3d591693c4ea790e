#pragma once

#include "core/Template.h"

#include <cstdio>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace sds {

struct JournalRow {
    int seedIndex = 0; // the seed or excerpt; for curation the element's index in the input file
    std::string seed;  // the seed, or the document excerpt the row was generated from
    std::string question;
    std::string solution; // for curation: the model's output
    nlohmann::ordered_json
        input; // curation only: the input element as given (key order kept); null otherwise
};

// Append-only record of accepted rows, one JSON object per line, written as each row arrives so a
// killed run loses nothing it accepted. A torn last line (the process died mid-write) is ignored on
// reading and cut off before the next append.
class Journal {
public:
    explicit Journal(std::filesystem::path path);
    ~Journal();
    Journal(const Journal&) = delete;
    Journal& operator=(const Journal&) = delete;

    // Opens for appending (creating the file); an error message, empty on success.
    [[nodiscard]] std::string open();
    // Thread-safe; the line reaches the kernel before this returns. An error message, empty on success.
    [[nodiscard]] std::string append(const JournalRow& row);
    // Flushes to the disk (fdatasync).
    void sync();
    void close();

    [[nodiscard]] const std::filesystem::path& path() const { return m_path; }

    struct ReadResult {
        std::size_t rows = 0;
        std::size_t tornBytes = 0;    // bytes of an incomplete last line
        std::size_t corruptLines = 0; // complete lines that are not rows (skipped)
        std::string error;
    };
    // Streams the rows of a journal file to `onRow` without holding them all.
    static ReadResult read(const std::filesystem::path& path, const std::function<void(JournalRow&&)>& onRow);

private:
    std::filesystem::path m_path;
    std::mutex m_mutex;
    int m_fd = -1;
};

// Writes the dataset as a JSON array, streaming rows from the journal, atomically (temporary file,
// then rename). Row keys as in Cloudera's Synthetic Data Studio: {<origin key>, <prompt key>, <completion
// key>}, where the origin key is "Seeds", or "Generated_From" for rows grounded in a document excerpt.
struct DatasetWriteResult {
    std::size_t rows = 0;
    std::string error;
};
[[nodiscard]] DatasetWriteResult writeDatasetFromJournal(const std::filesystem::path& journal,
                                                         const std::filesystem::path& dataset,
                                                         const OutputKeys& keys, std::size_t maxRows,
                                                         const std::string& originKey = "Seeds");

// The curated dataset in the input's order: each element as given with `outputKey` added (an object),
// or {<input key>: element, <output key>: output} (any other value). One row per element index.
[[nodiscard]] DatasetWriteResult writeCurationDatasetFromJournal(const std::filesystem::path& journal,
                                                                 const std::filesystem::path& dataset,
                                                                 const std::string& inputKey,
                                                                 const std::string& outputKey);

} // namespace sds
