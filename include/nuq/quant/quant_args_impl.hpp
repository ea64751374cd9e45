#pragma once
// The bodies of quant_args.hpp compiled once in the nuq library (nuq/detail/library.hpp).
#include <string>
#include <string_view>

#include "nuq/detail/library.hpp"
#include "nuq/error.hpp"
#include "nuq/quant/quant_args.hpp"

namespace nuq {

NUQ_INLINE dtype quant_args::pytorch_dtype(std::string_view where) const {
    if (type == quant_type::float_) {
        if (num_bits == 8) return dtype::float8_e4m3fn;
        throw error("quant_args.num_bits", detail::cfg::path(where, "num_bits"),
                    "float quantization with num_bits " + std::to_string(num_bits) +
                        " has no storage dtype",
                    "num_bits 8 (fp8), or 4 (fp4) with zp_dtype inferred",
                    "use num_bits 8 or 4 with type float, or type int");
    }
    if (type == quant_type::int_) {
        if (num_bits <= 8) return dtype::int8;
        if (num_bits <= 16) return dtype::int16;
        return dtype::int32;
    }
    throw error("quant_args.type", detail::cfg::path(where, "type"), "invalid quantization type",
                "\"int\" or \"float\"");
}

NUQ_INLINE void quant_args::validate(std::string_view where) {
    using detail::cfg::path;
    using S = quant_strategy;
    auto const fail = [&](std::string_view field, std::string found, std::string expected,
                          std::string fix) {
        throw error("quant_args." + std::string(field), path(where, field), std::move(found),
                    std::move(expected), std::move(fix));
    };
    auto const gs_text = [&] {
        return group_size ? std::to_string(*group_size) : std::string("null");
    };

    // Field rules (CT checks these while parsing, before the model rules).
    if (type == quant_type::invalid)
        fail("type", "invalid quantization type", "\"int\" or \"float\"", "set type int or float");
    if (strategy == S::invalid)
        fail("strategy", "invalid strategy", "one of " + detail::cfg::quoted_list(
                 detail::cfg::quant_strategy_names), "set a valid strategy or leave it null");
    if (group_size && *group_size < -1)
        fail("group_size", "invalid group_size " + gs_text(), "group_size >= -1",
             "use group_size > 0 with strategy group, or -1 for channel");
    if (block_structure && ((*block_structure)[0] <= 0 || (*block_structure)[1] <= 0))
        fail("block_structure",
             "invalid block_structure [" + std::to_string((*block_structure)[0]) + ", " +
                 std::to_string((*block_structure)[1]) + "]",
             "two positive ints [rows, cols]", "use e.g. [128, 128]");

    // 1. strategy inference
    S s{};
    if (strategy) {
        s = *strategy;
    } else if (!group_size) {
        s = S::tensor;
    } else if (*group_size > 0) {
        s = S::group;
    } else if (*group_size == -1) {
        s = S::channel;
    } else {
        fail("group_size", "invalid group_size 0", "group_size > 0 or -1",
             "use group_size > 0 with strategy group, or -1 for channel");
    }
    bool const is_dynamic = dynamic != dynamic_mode::static_;

    // 2. token
    if (s == S::token && !is_dynamic)
        fail("strategy", "strategy \"token\" with dynamic false (static token quantization)",
             "dynamic true with strategy token",
             "set dynamic: true, or use a static strategy such as tensor or channel");

    // 3. group
    bool const grouped = s == S::group || s == S::tensor_group;
    if (grouped && (!group_size || *group_size <= 0))
        fail("group_size",
             "strategy \"" + std::string(to_string(s)) + "\" with group_size " + gs_text(),
             "a positive group_size", "set group_size > 0, e.g. 128");
    if (group_size && *group_size > 0 && !grouped)
        fail("group_size",
             "group_size " + gs_text() + " with strategy \"" + std::string(to_string(s)) + '"',
             "strategy group or tensor_group for group_size > 0",
             "use group_size > 0 with strategy group, or -1 for channel");

    // 4. block
    if (s == S::block && !block_structure)
        fail("block_structure", "strategy \"block\" without block_structure",
             "block_structure [rows, cols]", "add block_structure, e.g. [128, 128]");
    if (block_structure && s != S::block)
        fail("block_structure",
             "block_structure with strategy \"" + std::string(to_string(s)) + '"',
             "strategy block", "set strategy: block, or remove block_structure");

    // 5. activation ordering: only "group" needs group scales (NEW; OLD rejected any)
    if (actorder == actorder_mode::group && !grouped)
        fail("actorder",
             "actorder \"group\" with strategy \"" + std::string(to_string(s)) + '"',
             "strategy group or tensor_group",
             "use actorder \"weight\", or strategy group with a group_size");

    // 6./7. dynamic rules and observer defaults
    std::optional<std::string> obs = observer;
    if (is_dynamic) {
        if (s != S::token && s != S::tensor && s != S::tensor_group && s != S::group)
            fail("dynamic",
                 "dynamic quantization with strategy \"" + std::string(to_string(s)) + '"',
                 "strategy token, tensor, tensor_group or group",
                 "use one of those strategies, or set dynamic: false");
        if (dynamic == dynamic_mode::local && s != S::tensor_group)
            fail("dynamic",
                 "dynamic \"local\" with strategy \"" + std::string(to_string(s)) + '"',
                 "strategy tensor_group", "use strategy tensor_group, or dynamic true/false");
        if (dynamic == dynamic_mode::dynamic)
            obs.reset();  // dynamic args have no observer
        else if (!obs)
            obs = "minmax";
    } else if (!obs) {
        obs = "memoryless_minmax";
    }

    // 8. zero-point dtype
    std::optional<dtype> zp = zp_dtype;
    if (!zp) {
        if (num_bits == 4 && type == quant_type::float_)
            zp = dtype::float8_e4m3fn;
        else
            zp = pytorch_dtype(where);
    }

    strategy = s;
    observer = std::move(obs);
    zp_dtype = zp;
}

NUQ_INLINE nlohmann::json dump(quant_args const& a, dump_options const& opt) {
    using detail::cfg::torch_string;
    nlohmann::json j = nlohmann::json::object();
    j["num_bits"] = a.num_bits;
    j["type"] = to_string(a.type);
    j["symmetric"] = a.symmetric;
    j["group_size"] = a.group_size ? nlohmann::json(*a.group_size) : nlohmann::json();
    j["strategy"] = a.strategy ? nlohmann::json(to_string(*a.strategy)) : nlohmann::json();
    j["block_structure"] = a.block_structure ? nlohmann::json(*a.block_structure)
                                             : nlohmann::json();
    switch (a.dynamic) {
    case dynamic_mode::static_: j["dynamic"] = false; break;
    case dynamic_mode::dynamic: j["dynamic"] = true; break;
    case dynamic_mode::local: j["dynamic"] = "local"; break;
    }
    switch (a.actorder) {
    case actorder_mode::none: j["actorder"] = nullptr; break;
    case actorder_mode::group: j["actorder"] = a.actorder_alias ? "dynamic" : "group"; break;
    case actorder_mode::weight: j["actorder"] = a.actorder_alias ? "static" : "weight"; break;
    }
    if (!opt.ct_legacy_keys) {
        j["scale_dtype"] = a.scale_dtype ? nlohmann::json(torch_string(*a.scale_dtype))
                                         : nlohmann::json();
        j["zp_dtype"] = a.zp_dtype && !a.symmetric ? nlohmann::json(torch_string(*a.zp_dtype))
                                                   : nlohmann::json();
    }
    j["observer"] = a.observer ? nlohmann::json(*a.observer) : nlohmann::json();
    j["observer_kwargs"] = a.observer_kwargs;
    return j;
}

} // namespace nuq
