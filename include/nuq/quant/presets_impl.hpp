#pragma once
// The bodies of presets.hpp compiled once in the nuq library (nuq/detail/library.hpp).
#include <string>
#include <string_view>
#include <vector>

#include "nuq/detail/library.hpp"
#include "nuq/error.hpp"
#include "nuq/quant/presets.hpp"

namespace nuq {

NUQ_INLINE quant_scheme preset_scheme(std::string_view name, std::vector<std::string> targets,
                                  std::string_view where) {
    auto const canonical = preset_canonical_name(name);
    if (!canonical)
        throw error("preset.unknown", std::string(where),
                    "unknown preset scheme \"" + std::string(name) + '"',
                    "one of " + detail::cfg::quoted_list(preset_names),
                    "use one of the listed preset names, or write the scheme out in full");
    quant_scheme s = detail::preset::unvalidated(*canonical);
    s.targets = std::move(targets);
    s.validate(where);
    return s;
}

} // namespace nuq
