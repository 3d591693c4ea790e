#pragma once

#include "core/Pricing.h"
#include "core/Template.h"

#include <filesystem>

namespace sds {

// The project folder holds everything a user makes: datasets/, runs/, templates/, models/ and the
// run history database. SDS_PROJECT_DIR overrides the default ~/SyntheticDataStudio.
class Project {
public:
    explicit Project(std::filesystem::path root);
    static Project fromEnvironment();

    [[nodiscard]] const std::filesystem::path& root() const { return m_root; }
    [[nodiscard]] std::filesystem::path datasetsDir() const { return m_root / "datasets"; }
    [[nodiscard]] std::filesystem::path runsDir() const { return m_root / "runs"; }
    [[nodiscard]] std::filesystem::path runDir(const std::string& runId) const { return runsDir() / runId; }
    [[nodiscard]] std::filesystem::path templatesDir() const { return m_root / "templates"; }
    [[nodiscard]] std::filesystem::path modelsDir() const { return m_root / "models"; }
    [[nodiscard]] std::filesystem::path historyDatabase() const { return m_root / "generations.sqlite"; }
    // Your prices, over the built-in ones (resources/prices.json).
    [[nodiscard]] std::filesystem::path pricesFile() const { return m_root / "prices.json"; }

    // Creates the folders; an error message naming the folder, empty on success.
    [[nodiscard]] std::string ensureExists() const;

    // Built-in templates, then the project's own.
    [[nodiscard]] TemplateRegistry loadTemplates() const;

    struct Prices {
        PriceTable table;
        std::string error; // the first file that could not be used, and why; its prices are left out
    };
    // The built-in price table, then the project's prices.json over it.
    [[nodiscard]] Prices loadPrices() const;

private:
    std::filesystem::path m_root;
};

// Where the built-in templates are: SDS_TEMPLATES_DIR, else next to the installed program
// (../share/synthetic-data-studio/templates), else the source tree's templates/.
[[nodiscard]] std::filesystem::path builtinTemplatesDir();
// Same lookup for resources/ (SDS_RESOURCES_DIR).
[[nodiscard]] std::filesystem::path resourcesDir();

} // namespace sds
