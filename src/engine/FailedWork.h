#pragma once

#include <algorithm>
#include <cstddef>
#include <filesystem>
#include <string>
#include <variant>
#include <vector>

namespace sds::engine {

// What failed in a run and was not made good since, by index (ascending): generation seeds (or document
// excerpts) that ended short of their quota after a request for them failed for good or their requests
// ran out, and curation elements whose request failed for good or whose answer was empty. Saved in
// runs/<id>/failed.json at the end of every session; "Retry failed only" asks for these and nothing else.
struct FailedWork {
    std::vector<std::size_t> seeds;
    std::vector<std::size_t> elements;

    [[nodiscard]] bool empty() const { return seeds.empty() && elements.empty(); }
    [[nodiscard]] bool hasSeed(std::size_t index) const {
        return std::binary_search(seeds.begin(), seeds.end(), index);
    }
    [[nodiscard]] bool hasElement(std::size_t index) const {
        return std::binary_search(elements.begin(), elements.end(), index);
    }
    bool operator==(const FailedWork&) const = default;
};

// How much of a run a resumed session asks for.
enum class ResumeScope {
    Everything, // every missing row: seeds and elements never sent as well as those that failed
    FailedOnly, // only what failed in earlier sessions (FailedWork)
};

[[nodiscard]] std::filesystem::path failedWorkFile(const std::filesystem::path& runDir);
// Nothing failed when the file does not exist (a run from before it was kept, or one that was killed in its
// first session); an error naming the file when it is damaged.
[[nodiscard]] std::variant<FailedWork, std::string> loadFailedWork(const std::filesystem::path& runDir);
[[nodiscard]] std::string saveFailedWork(const std::filesystem::path& runDir, const FailedWork& failed);

} // namespace sds::engine
