#pragma once
// Test support: reading golden safetensors files. TEMPORARY minimal reader until io/ lands.
#include <cstdint>
#include <cstring>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "nuq/tensor.hpp"

namespace nuq::test {

struct golden_file {
    std::map<std::string, tensor> tensors;
    explicit golden_file(std::string const& path) {
        std::ifstream f(path, std::ios::binary);
        std::uint64_t n = 0;
        f.read(reinterpret_cast<char*>(&n), 8);
        std::string h(n, '\0');
        f.read(h.data(), static_cast<std::streamsize>(n));
        std::vector<char> data((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
        auto j = nlohmann::json::parse(h);
        for (auto& [k, v] : j.items()) {
            if (k == "__metadata__") continue;
            tensor t(k, *dtype_from_safetensors(v["dtype"].get<std::string>()),
                     v["shape"].get<std::vector<std::int64_t>>());
            auto b = v["data_offsets"][0].get<std::size_t>();
            std::memcpy(t.data.data(), data.data() + b, t.data.size());
            tensors.emplace(k, std::move(t));
        }
    }
    [[nodiscard]] bool has(std::string const& k) const { return tensors.count(k) != 0; }
    [[nodiscard]] tensor const& at(std::string const& k) const { return tensors.at(k); }
};

} // namespace nuq::test
