#pragma once
// plan: what recipe::resolve makes of a recipe for one model: each Linear module's scheme,
// format and modifier, and the quantization_config the checkpoint will carry.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nuq/quant/compression_format.hpp"
#include "nuq/quant/infer_format.hpp"
#include "nuq/quant/quant_scheme.hpp"
#include "nuq/quant/quantization_config.hpp"
#include "nuq/recipe/modifiers.hpp"

namespace nuq::recipe {

/// Why a Linear module is (not) quantized.
enum class module_status {
    quantized,   ///< it has a scheme with weight or activation args
    ignored,     ///< a target matched, but so did an `ignore` entry
    unmatched,   ///< no quantizing modifier targets it
    no_args,     ///< its scheme quantizes nothing (a group with no weights/activations)
};

constexpr std::string_view to_string(module_status s) {
    switch (s) {
    case module_status::quantized: return "quantized";
    case module_status::ignored: return "ignored";
    case module_status::unmatched: return "unmatched";
    case module_status::no_args: return "no_args";
    }
    return "invalid";
}

/// The plan for one Linear module.
struct module_plan {
    std::string name;
    module_status status = module_status::unmatched;
    /// The scheme as it will be written (its group's targets, `format` set), if it has one.
    std::optional<quant_scheme> scheme;
    compression_format format = compression_format::dense;
    /// The modifier that quantizes it (index into recipe.modifiers), and the modifier's
    /// group and target that gave the scheme. Unset when nothing quantizes it.
    std::optional<std::size_t> modifier;
    std::string group;       ///< the recipe's group name, e.g. "group_1"
    std::string group_path;  ///< its recipe path
    std::string target;      ///< the target that decided (or the ignore entry, if ignored)
    /// Index into plan.config.config_groups, for quantized modules.
    std::optional<std::size_t> config_group;
};

/// What resolve produces.
struct plan {
    recipe source;                    ///< the recipe it was resolved from
    std::vector<module_plan> modules; ///< every Linear module, in the order given
    /// As compressed-tensors writes it: groups in module order, formats set, `ignore`,
    /// `kv_cache_scheme`, top-level `format`; status `compressed`.
    quantization_config config;
    std::vector<std::string> warnings; ///< unmatched targets, overridden modules

    /// The plan of module `name`, or nullptr.
    [[nodiscard]] module_plan const* find(std::string_view name) const {
        for (auto const& m : modules)
            if (m.name == name) return &m;
        return nullptr;
    }
};

/// Choices a caller may make.
struct resolve_options {
    /// A format forced for every quantized module (`quantization_format`); a mismatch with
    /// what the scheme would get is only a warning, as in compressed-tensors.
    std::optional<compression_format> forced_format;
    format_rules rules;
};

} // namespace nuq::recipe
