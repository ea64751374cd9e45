#pragma once
// The modifiers nuq understands, as plain data with every field llm-compressor accepts for
// them (docs/ALGORITHMS.md §3.1, §4.1, §5.1, §6). Defaults are llm-compressor's. Filled by
// parse.hpp; read by resolve.hpp and by the calibration code.
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "nuq/quant/quant_args.hpp"
#include "nuq/quant/quant_scheme.hpp"

namespace nuq::recipe {

/// Fields every llm-compressor Modifier has, plus where the modifier sits in the recipe.
struct modifier_info {
    std::string path;   ///< recipe path, e.g. "quant_stage.quant_modifiers.GPTQModifier"
    std::string stage;  ///< stage name without "_stage", e.g. "quant"
    std::string group;  ///< the `group` field, else the "<group>_modifiers" key without suffix
    std::optional<int> index;
    std::optional<double> start, end, update;
    std::optional<bool> requires_calibration_data; ///< kept as written; nuq decides for itself
};

/// One resolved config group of a quantizing modifier: `config_groups` as written, or the
/// groups llm-compressor builds from `scheme` (`group_0`, `group_1`, ... over the presets).
struct scheme_group {
    std::string name;   ///< "group_1"
    std::string path;   ///< recipe path of the group (or of `scheme`)
    quant_scheme scheme;
};

/// QuantizationMixin: the fields shared by QuantizationModifier and GPTQModifier (§3.1).
struct quantization_fields {
    /// What llm-compressor's resolve_quantization_config gives: the config groups with
    /// observer overrides applied (and, for GPTQ, actorder resolved). With neither `scheme`
    /// nor `config_groups`, one group with no args on `targets` (it quantizes nothing).
    std::vector<scheme_group> groups;
    std::vector<std::string> targets{"Linear"};
    std::vector<std::string> ignore;
    std::optional<quant_args> kv_cache_scheme;
    std::optional<std::string> weight_observer, input_observer, output_observer;
    std::optional<std::string> observer_weights, observer_input, observer_output; ///< `observer:` dict
    bool bypass_divisibility_checks = false;
    bool has_scheme = false;        ///< `scheme` was given
    bool has_config_groups = false; ///< `config_groups` was given

    /// llm-compressor `has_config`: anything beyond the defaults was given.
    [[nodiscard]] bool has_config() const {
        return has_scheme || has_config_groups || kv_cache_scheme ||
               targets != std::vector<std::string>{"Linear"} || !ignore.empty();
    }
};

/// QuantizationModifier: round-to-nearest weights, observed activations (§3).
struct quantization_modifier {
    modifier_info info;
    quantization_fields quant;
};

/// GPTQModifier (§4.1).
struct gptq_modifier {
    modifier_info info;
    quantization_fields quant;
    int block_size = 128;
    std::optional<double> dampening_frac = 0.01;
    /// Unset: llm-compressor's "static" sentinel, which only fills schemes that have none.
    /// Set (even to null): overrides every scheme's actorder, and must agree with one set there.
    bool actorder_given = false;
    actorder_mode actorder = actorder_mode::weight;
    bool actorder_alias = true; ///< spelled "static"/"dynamic"
    bool offload_hessians = false;
    /// Removed from llm-compressor in 2026 (#1559); older recipes still carry it. Kept, unused:
    /// nuq picks the sequential targets (decoder layers) itself.
    std::vector<std::string> sequential_targets;
};

/// One AWQ mapping: `smooth_layer`'s output feeds every balance layer.
struct awq_mapping {
    std::string path;
    std::string smooth_layer;
    std::vector<std::string> balance_layers;
    std::optional<std::string> activation_hook_target;
};

enum class duo_scaling { on, off, both };

/// AWQModifier, the transform (§5.1): smooths weights; a later quantizing modifier quantizes.
struct awq_modifier {
    modifier_info info;
    std::optional<std::vector<awq_mapping>> mappings; ///< unset: inferred from the architecture
    /// Unset: "cpu" for MoE models, no offload otherwise. Given as null: no offload.
    bool offload_device_given = false;
    std::optional<std::string> offload_device;
    duo_scaling duo = duo_scaling::on;
    int n_grid = 20;
    std::vector<std::string> sequential_targets; ///< deprecated, see gptq_modifier
};

/// One SmoothQuant mapping, written `[[balance...], smooth]` (the reverse of AWQ's order).
struct smoothquant_mapping {
    std::string path;
    std::vector<std::string> balance_layers;
    std::string smooth_layer;
};

enum class smoothquant_algorithm { smoothquant, log_equalization };

/// SmoothQuantModifier (§6): a transform, like AWQ.
struct smoothquant_modifier {
    modifier_info info;
    double smoothing_strength = 0.5;
    std::optional<std::vector<smoothquant_mapping>> mappings; ///< unset: inferred
    std::optional<std::vector<std::string>> ignore;
    std::optional<int> num_calibration_steps;
    smoothquant_algorithm algorithm = smoothquant_algorithm::smoothquant;
};

using modifier = std::variant<quantization_modifier, gptq_modifier, awq_modifier, smoothquant_modifier>;

/// The class name as written in recipes, e.g. "GPTQModifier".
inline std::string_view type_name(modifier const& m) {
    constexpr std::string_view names[] = {"QuantizationModifier", "GPTQModifier", "AWQModifier",
                                          "SmoothQuantModifier"};
    return names[m.index()];
}

inline modifier_info const& info(modifier const& m) {
    return std::visit([](auto const& x) -> modifier_info const& { return x.info; }, m);
}

/// The QuantizationMixin fields, for the modifiers that quantize; nullptr for transforms.
inline quantization_fields const* quantization(modifier const& m) {
    if (auto const* q = std::get_if<quantization_modifier>(&m)) return &q->quant;
    if (auto const* g = std::get_if<gptq_modifier>(&m)) return &g->quant;
    return nullptr;
}

/// A parsed recipe: every modifier of every stage, flattened in file order.
struct recipe {
    std::string source;                ///< file name or "<string>", for messages
    nlohmann::ordered_json args = nlohmann::ordered_json::object(); ///< stored, never substituted
    std::vector<modifier> modifiers;
};

} // namespace nuq::recipe
