#pragma once
// byte_tokens: the tokenizer of byte-level models without a tokenizer.json (tiny-llama-sotu):
// one token per byte, id = byte value, no BOS/EOS.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "nuq/error.hpp"

namespace nuq::tokenizer {

/// Name of the file whose presence means the model has a real tokenizer.
inline constexpr std::string_view tokenizer_file = "tokenizer.json";

inline std::vector<std::int64_t> byte_tokens(std::string_view text) {
    std::vector<std::int64_t> ids;
    ids.reserve(text.size());
    for (char ch : text) ids.push_back(static_cast<unsigned char>(ch));
    return ids;
}

/// The bytes of the file `path` as token ids.
inline std::vector<std::int64_t> read_byte_tokens(std::filesystem::path const& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f)
        throw error("tokens.read", path.string(), "cannot be opened", "a readable text file",
                    "check the path");
    std::string const text{std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
    return byte_tokens(text);
}

} // namespace nuq::tokenizer
