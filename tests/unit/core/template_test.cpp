#include "core/Project.h"
#include "core/Template.h"
#include "testsupport/TempDir.h"

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>

namespace sds {
namespace {

using testing::TempDir;

TEST(BuiltinTemplates, AllThreeLoadWithEnoughSeedsAndExamples) {
    TemplateRegistry registry;
    registry.loadFolder(SDS_SOURCE_TEMPLATES_DIR);
    EXPECT_TRUE(registry.errors().empty()) << registry.errors().front();
    for (const char* id : {"code_generation", "text_to_sql", "custom"}) {
        const Template* t = registry.find(id);
        ASSERT_NE(t, nullptr) << id;
        EXPECT_FALSE(t->name.empty());
        EXPECT_FALSE(t->description.empty());
        EXPECT_FALSE(t->prompt.empty());
        EXPECT_GE(t->seeds.size(), 12U) << id;
        EXPECT_GE(t->examples.size(), 3U) << id;
        EXPECT_EQ(t->outputKeys.prompt, "Prompt");
        EXPECT_EQ(t->outputKeys.completion, "Completion");
    }
    const Template* sql = registry.find("text_to_sql");
    ASSERT_NE(sql, nullptr);
    EXPECT_NE(sql->databaseSchema.find("CREATE TABLE employees"), std::string::npos);
    EXPECT_NE(sql->databaseSchema.find("CREATE TABLE order_items"), std::string::npos);
}

TEST(TemplateRegistry, MalformedFileIsReportedWithPositionAndOthersStillLoad) {
    TempDir dir;
    dir.write("good.json", R"({"name": "Good", "prompt": "p", "seeds": ["a"]})");
    dir.write("broken.json", "{\n  \"name\": \"Broken\",\n  \"seeds\": [\"a\" \"b\"]\n}\n");
    TemplateRegistry registry;
    registry.loadFolder(dir.path());
    ASSERT_EQ(registry.templates().size(), 1U);
    EXPECT_EQ(registry.templates()[0].id, "good");
    ASSERT_EQ(registry.errors().size(), 1U);
    const std::string& error = registry.errors()[0];
    EXPECT_NE(error.find("broken.json:3:"), std::string::npos) << error;
    EXPECT_NE(error.find("invalid JSON"), std::string::npos) << error;
}

TEST(TemplateRegistry, WrongFieldTypeNamesTheField) {
    TempDir dir;
    dir.write("typed.json", R"({"name": "T", "seeds": "not a list"})");
    TemplateRegistry registry;
    registry.loadFolder(dir.path());
    ASSERT_EQ(registry.errors().size(), 1U);
    EXPECT_NE(registry.errors()[0].find("\"seeds\" must be an array"), std::string::npos)
        << registry.errors()[0];
    EXPECT_NE(registry.errors()[0].find("typed.json"), std::string::npos);
}

TEST(TemplateRegistry, ProjectTemplateAppearsAndOverridesBuiltinWithSameId) {
    TempDir project;
    project.write("templates/mine.json",
                  R"({"name": "Mine", "prompt": "Write a haiku", "seeds": ["Poems", "Haikus"]})");
    project.write("templates/custom.json", R"({"name": "My Custom", "prompt": "x"})");
    const auto registry = Project(project.path()).loadTemplates();
    ASSERT_NE(registry.find("mine"), nullptr);
    EXPECT_EQ(registry.find("mine")->seeds.size(), 2U);
    ASSERT_NE(registry.find("custom"), nullptr);
    EXPECT_EQ(registry.find("custom")->name, "My Custom");
    EXPECT_NE(registry.find("code_generation"), nullptr);
}

} // namespace
} // namespace sds
