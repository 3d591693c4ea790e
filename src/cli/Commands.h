#pragma once

#include "core/Project.h"

#include <CLI/CLI.hpp>
#include <memory>
#include <vector>

namespace sds::cli {

// One `sds` subcommand: it adds its options to the app, and runs when the user chose it.
class Command {
public:
    virtual ~Command() = default;
    virtual void attach(CLI::App& app) = 0;
    [[nodiscard]] virtual bool parsed() const = 0;
    virtual int run(const Project& project) = 0;
};

// preview (documents), prompt suggest, seeds suggest.
[[nodiscard]] std::vector<std::unique_ptr<Command>> makeWorkflowCommands();
// validate, evaluate, filter, export.
[[nodiscard]] std::vector<std::unique_ptr<Command>> makeQualityCommands();

} // namespace sds::cli
