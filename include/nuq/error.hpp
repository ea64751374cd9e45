#pragma once
// nuq::error: the one exception type of the library. Every failure that comes from outside
// (a file, a recipe, a command line) is reported with a stable id, where it was found (a file
// and tensor, or a recipe path such as `config_groups.group_1.weights.group_size`), what was
// found, what was expected, and what to do about it.
#include <stdexcept>
#include <string>
#include <utility>

namespace nuq {

class error : public std::runtime_error {
public:
    /// @param id       stable identifier, e.g. "recipe.group_size" or "safetensors.header"
    /// @param where    file / tensor / recipe path the problem was found at ("" if none)
    /// @param found    what was found
    /// @param expected what was expected ("" if it goes without saying)
    /// @param fix      what the user should do ("" if nothing sensible)
    error(std::string id, std::string where, std::string found, std::string expected = {},
          std::string fix = {})
        : std::runtime_error(compose(id, where, found, expected, fix)),
          id_(std::move(id)), where_(std::move(where)), found_(std::move(found)),
          expected_(std::move(expected)), fix_(std::move(fix)) {}

    [[nodiscard]] std::string const& id() const noexcept { return id_; }
    [[nodiscard]] std::string const& where() const noexcept { return where_; }
    [[nodiscard]] std::string const& found() const noexcept { return found_; }
    [[nodiscard]] std::string const& expected() const noexcept { return expected_; }
    [[nodiscard]] std::string const& fix() const noexcept { return fix_; }

private:
    static std::string compose(std::string const& id, std::string const& where,
                               std::string const& found, std::string const& expected,
                               std::string const& fix) {
        std::string m = "[nuq." + id + "] ";
        if (!where.empty()) m += where + ": ";
        m += found;
        if (!expected.empty()) m += "; expected " + expected;
        if (!fix.empty()) m += ". Fix: " + fix;
        return m;
    }
    std::string id_, where_, found_, expected_, fix_;
};

} // namespace nuq
