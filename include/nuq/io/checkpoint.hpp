#pragma once
// checkpoint: a Hugging Face model directory opened for reading.
//
// Weights come from `model.safetensors`, or, when that file is absent, from the shards named by
// `model.safetensors.index.json` ({"metadata": {"total_size": N}, "weight_map": {tensor:
// file}}); transformers looks for them in the same order. Every shard is mapped and validated
// at open, and the index must agree with the shards exactly: each mapped tensor present in its
// file, and no shard holding a tensor the index does not map. `metadata.total_size` is kept
// as information only (some writers count it differently).
//
// `config.json` is loaded into nlohmann::json, whose objects are sorted by key: every key is
// kept, and since transformers writes config.json with sorted keys nothing is reordered.
// Tied embeddings need nothing special: `has("lm_head.weight")` is simply false.
#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "nuq/error.hpp"
#include "nuq/io/posix_file.hpp"
#include "nuq/io/safetensors_reader.hpp"

namespace nuq::io {

inline constexpr std::string_view single_weights_name = "model.safetensors";
inline constexpr std::string_view weights_index_name = "model.safetensors.index.json";
inline constexpr std::string_view config_name = "config.json";

namespace detail {

/// Parses a small JSON file that must hold an object; `id` names the failure.
inline nlohmann::json read_json_object(std::filesystem::path const& path, std::string const& id) {
    auto const map = mapped_file::open(path, 2, id); // "{}" at least; mmap refuses empty files
    auto const bytes = map.bytes();
    auto const* text = reinterpret_cast<char const*>(bytes.data());
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(text, text + bytes.size());
    } catch (nlohmann::json::exception const& e) {
        throw error(id, path.string(), std::string("is not valid JSON: ") + e.what(), "",
                    "fix the file or copy it again from the original model");
    }
    if (!j.is_object())
        throw error(id, path.string(), std::string("holds a JSON ") + j.type_name(),
                    "a JSON object", "fix the file or copy it again from the original model");
    return j;
}

/// Weight files of other formats, which a quantized copy must not carry along.
inline bool is_weight_file(std::string const& name) {
    for (std::string_view ext :
         {".safetensors", ".bin", ".pt", ".pth", ".ckpt", ".h5", ".msgpack", ".gguf", ".onnx"})
        if (name.ends_with(ext)) return true;
    return name.ends_with(".index.json");
}

} // namespace detail

class checkpoint {
public:
    /// Opens and validates the model directory `dir`.
    explicit checkpoint(std::filesystem::path dir) : dir_(std::move(dir)) {
        std::error_code ec;
        if (!std::filesystem::is_directory(dir_, ec))
            throw error("checkpoint.open", dir_.string(), "is not a directory", "",
                        "pass the directory that holds config.json and the .safetensors files");
        auto const config_path = dir_ / config_name;
        if (!std::filesystem::exists(config_path, ec))
            throw error("checkpoint.config", config_path.string(), "does not exist", "",
                        "copy config.json from the original model into the directory");
        config_ = detail::read_json_object(config_path, "checkpoint.config");

        if (std::filesystem::exists(dir_ / single_weights_name, ec)) {
            add_shard(std::string(single_weights_name));
            for (auto const& n : shards_.back().names()) where_.emplace(n, 0);
        } else if (std::filesystem::exists(dir_ / weights_index_name, ec)) {
            read_index();
        } else {
            throw error("checkpoint.weights", dir_.string(),
                        "has neither model.safetensors nor model.safetensors.index.json", "",
                        "save the model with safe_serialization=True (or convert its .bin "
                        "files to safetensors)");
        }
        list_other_files();
    }
    static checkpoint open(std::filesystem::path dir) { return checkpoint(std::move(dir)); }

    [[nodiscard]] std::filesystem::path const& directory() const noexcept { return dir_; }
    [[nodiscard]] nlohmann::json const& config() const noexcept { return config_; }
    /// True when the weights come from a model.safetensors.index.json.
    [[nodiscard]] bool sharded() const noexcept { return sharded_; }

    /// All tensor names: shards in file-name order, each in its file order.
    [[nodiscard]] std::vector<std::string> names() const {
        std::vector<std::string> out;
        for (auto const& s : shards_)
            for (auto& n : s.names()) out.push_back(std::move(n));
        return out;
    }
    [[nodiscard]] std::size_t size() const noexcept { return where_.size(); }
    [[nodiscard]] bool has(std::string_view name) const { return where_.contains(name); }
    [[nodiscard]] tensor_view tensor(std::string_view name) const {
        return shards_[shard_index(name)].tensor(name);
    }
    /// Done with this tensor for now: its mapped pages leave the resident set.
    void release(std::string_view name) const { detail::release_pages(tensor(name).bytes); }
    /// File name (relative to directory()) of the shard holding `name`.
    [[nodiscard]] std::filesystem::path shard_of(std::string_view name) const {
        return shards_[shard_index(name)].path().filename();
    }
    /// File names of the weight files, relative to directory().
    [[nodiscard]] std::vector<std::filesystem::path> shard_files() const {
        std::vector<std::filesystem::path> out;
        for (auto const& s : shards_) out.push_back(s.path().filename());
        return out;
    }
    /// Other regular files (tokenizer files, generation_config.json, ...), relative to
    /// directory() and sorted: what a writer copies along. Excludes config.json, hidden files
    /// and weight files of any format.
    [[nodiscard]] std::vector<std::filesystem::path> const& other_files() const noexcept {
        return other_files_;
    }
    /// Sum of all tensors' byte sizes.
    [[nodiscard]] std::uint64_t total_size() const noexcept {
        std::uint64_t n = 0;
        for (auto const& s : shards_) n += s.data_size();
        return n;
    }
    /// `metadata.total_size` of the index, when there is one and it has it.
    [[nodiscard]] std::optional<std::uint64_t> index_total_size() const noexcept {
        return index_total_size_;
    }

private:
    std::size_t shard_index(std::string_view name) const {
        auto const it = where_.find(name);
        if (it == where_.end())
            throw error(
                "checkpoint.missing", dir_.string() + ", tensor '" + std::string(name) + "'",
                "no such tensor in the checkpoint's " + std::to_string(where_.size()) + " tensors",
                "", "check the name (names() lists them; has() tests one)");
        return it->second;
    }

    void add_shard(std::string const& file) { shards_.emplace_back(dir_ / file); }

    void read_index() {
        sharded_ = true;
        auto const index_path = dir_ / weights_index_name;
        auto const index = detail::read_json_object(index_path, "checkpoint.index");
        constexpr char const* regenerate =
            "regenerate the index (save the model again) or restore the missing shard";
        if (auto const m = index.find("metadata"); m != index.end() && m->is_object()) {
            std::uint64_t total = 0;
            if (auto const t = m->find("total_size");
                t != m->end() &&
                detail::read_index(*t, std::numeric_limits<std::uint64_t>::max(), total))
                index_total_size_ = total;
        }
        auto const wm = index.find("weight_map");
        if (wm == index.end() || !wm->is_object())
            throw error("checkpoint.index", index_path.string(), "has no \"weight_map\" object",
                        R"({"weight_map": {tensor: file}})", regenerate);

        std::map<std::string, std::string> tensor_file; // validated weight_map
        std::set<std::string> files;
        for (auto const& [tensor, file] : wm->items()) {
            if (!file.is_string())
                throw error("checkpoint.index", index_path.string() + ", tensor '" + tensor + "'",
                            "maps to a JSON " + std::string(file.type_name()), "a file name",
                            regenerate);
            auto const f = file.get<std::string>();
            if (f.empty() || f.find('/') != std::string::npos || f == "." || f == "..")
                throw error("checkpoint.index", index_path.string() + ", tensor '" + tensor + "'",
                            "maps to \"" + f + "\"", "a file name inside the model directory",
                            regenerate);
            tensor_file.emplace(tensor, f);
            files.insert(f);
        }
        if (files.empty())
            throw error("checkpoint.index", index_path.string(), "maps no tensors",
                        "at least one entry in weight_map", regenerate);

        std::map<std::string, std::size_t> shard_of_file;
        for (auto const& f : files) {
            std::error_code ec;
            if (!std::filesystem::exists(dir_ / f, ec))
                throw error("checkpoint.index", (dir_ / f).string(),
                            "is named by the index but does not exist", "", regenerate);
            shard_of_file.emplace(f, shards_.size());
            add_shard(f);
        }
        for (auto const& [tensor, f] : tensor_file) {
            auto const s = shard_of_file.at(f);
            if (!shards_[s].contains(tensor))
                throw error("checkpoint.index",
                            shards_[s].path().string() + ", tensor '" + tensor + "'",
                            "the index maps the tensor to this shard, which does not hold it", "",
                            regenerate);
            where_.emplace(tensor, s);
        }
        for (auto const& s : shards_)
            for (auto const& n : s.names()) {
                auto const it = tensor_file.find(n);
                if (it == tensor_file.end() || it->second != s.path().filename().string())
                    throw error("checkpoint.index", s.path().string() + ", tensor '" + n + "'",
                                it == tensor_file.end()
                                    ? "the shard holds a tensor that the index does not map"
                                    : "the shard holds a tensor that the index maps to " +
                                          it->second,
                                "", regenerate);
            }
    }

    void list_other_files() {
        std::error_code ec;
        for (auto const& e : std::filesystem::directory_iterator(dir_, ec)) {
            std::error_code fec;
            if (!e.is_regular_file(fec)) continue;
            auto name = e.path().filename().string();
            if (name == config_name || name.starts_with('.') || detail::is_weight_file(name))
                continue;
            other_files_.emplace_back(std::move(name));
        }
        if (ec)
            throw error("checkpoint.open", dir_.string(), "cannot list: " + ec.message(), "",
                        "check the directory's permissions");
        std::sort(other_files_.begin(), other_files_.end());
    }

    std::filesystem::path dir_;
    nlohmann::json config_;
    bool sharded_ = false;
    std::vector<safetensors_file> shards_;
    std::map<std::string, std::size_t, std::less<>> where_;
    std::vector<std::filesystem::path> other_files_;
    std::optional<std::uint64_t> index_total_size_;
};

} // namespace nuq::io
