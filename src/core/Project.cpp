#include "core/Project.h"

#include <cstdlib>
#include <unistd.h>

namespace sds {
namespace {

std::filesystem::path executableDir() {
    std::error_code ec;
    const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
    return ec ? std::filesystem::path{} : self.parent_path();
}

std::filesystem::path locate(const char* variable, const char* installedName, const char* sourceDir) {
    if (const char* fromEnvironment = std::getenv(variable); fromEnvironment && *fromEnvironment) // NOLINT
        return fromEnvironment;
    std::error_code ec;
    const auto installed = executableDir() / ".." / "share" / "synthetic-data-studio" / installedName;
    if (std::filesystem::is_directory(installed, ec))
        return std::filesystem::weakly_canonical(installed, ec);
    return sourceDir;
}

} // namespace

Project::Project(std::filesystem::path root) : m_root(std::move(root)) {}

Project Project::fromEnvironment() {
    if (const char* dir = std::getenv("SDS_PROJECT_DIR"); dir && *dir) // NOLINT(concurrency-mt-unsafe)
        return Project(std::filesystem::absolute(dir));
    const char* home = std::getenv("HOME"); // NOLINT(concurrency-mt-unsafe)
    return Project(std::filesystem::path(home && *home ? home : "/tmp") / "SyntheticDataStudio");
}

std::string Project::ensureExists() const {
    for (const auto& dir : {m_root, datasetsDir(), runsDir(), templatesDir(), modelsDir()}) {
        std::error_code ec;
        std::filesystem::create_directories(dir, ec);
        if (ec)
            return "cannot create project folder " + dir.string() + ": " + ec.message();
    }
    return {};
}

TemplateRegistry Project::loadTemplates() const {
    TemplateRegistry registry;
    registry.loadFolder(builtinTemplatesDir());
    registry.loadFolder(templatesDir());
    return registry;
}

Project::Prices Project::loadPrices() const {
    Prices prices;
    prices.error = prices.table.loadFile(resourcesDir() / "prices.json");
    std::error_code ec;
    if (std::filesystem::exists(pricesFile(), ec))
        if (auto error = prices.table.loadFile(pricesFile()); !error.empty() && prices.error.empty())
            prices.error = std::move(error);
    return prices;
}

std::filesystem::path builtinTemplatesDir() {
    return locate("SDS_TEMPLATES_DIR", "templates", SDS_SOURCE_TEMPLATES_DIR);
}

std::filesystem::path resourcesDir() {
    return locate("SDS_RESOURCES_DIR", "resources", SDS_SOURCE_RESOURCES_DIR);
}

} // namespace sds
