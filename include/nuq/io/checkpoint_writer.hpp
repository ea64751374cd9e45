#pragma once
// checkpoint_writer: writes a Hugging Face model directory, streaming one tensor at a time.
//
// Use: add() every tensor in the order a model's state dict lists them; set_config();
// copy_file() each file to carry along (tokenizer, generation_config.json, ...); begin();
// write() each tensor's bytes (any order, any number of pieces); commit().
//
// Everything is written into `<out>.nuq-tmp-<random>` beside the target and renamed to `out`
// at commit(); a writer destroyed before commit() (say, by an exception) removes it. An
// existing `out` is refused unless options.overwrite, and even then it is replaced only at
// commit().
//
// Sharding follows huggingface_hub's split_state_dict_into_shards_factory, so that the layout
// equals transformers' save_pretrained(max_shard_size=...): walking the tensors in declaration
// order, a tensor larger than the limit gets a shard of its own (placed before the shard being
// filled); otherwise a tensor that would take the current shard past the limit starts a new
// one. One shard is written as `model.safetensors` with no index; n > 1 shards as
// `model-00001-of-0000n.safetensors` plus `model.safetensors.index.json`
// ({"metadata": {"total_size": bytes of all tensors}, "weight_map": {tensor: file}}). The limit
// counts tensor bytes only, so a shard file exceeds it by its header, as in transformers.
// config.json and the index are written like transformers' json.dumps(indent=2,
// sort_keys=True, ensure_ascii=True) plus a final newline.
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "nuq/error.hpp"
#include "nuq/io/checkpoint.hpp"
#include "nuq/io/posix_file.hpp"
#include "nuq/io/safetensors_writer.hpp"
#include "nuq/numeric/dtype.hpp"

namespace nuq::io {

/// Parses a size with huggingface_hub's units: a bare integer is bytes; KB, MB, GB are powers
/// of 10 and KiB, MiB, GiB powers of 2 (case-insensitive); as in huggingface_hub, a unit ending
/// in a lowercase "b" ("5Gb", "5gb") counts bits, i.e. one eighth of the bytes.
inline std::uint64_t parse_size(std::string_view text) {
    auto const bad = [&](std::string const& found) {
        return error("size.format", "size \"" + std::string(text) + "\"", found,
                     "an integer followed by KB, MB, GB, KiB, MiB or GiB, e.g. 5GB",
                     "write it like 5GB, 500MB or 2GiB");
    };
    std::size_t i = 0;
    std::uint64_t n = 0;
    for (; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])); ++i)
        if (__builtin_mul_overflow(n, 10u, &n) ||
            __builtin_add_overflow(n, static_cast<unsigned>(text[i] - '0'), &n))
            throw bad("the number is too large");
    if (i == 0) throw bad("it does not start with a number");

    std::string unit;
    for (char c : text.substr(i))
        unit += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    struct unit_scale {
        char const* name;
        std::uint64_t scale;
    };
    static constexpr unit_scale units[] = {{"", 1},
                                           {"KB", 1'000},
                                           {"MB", 1'000'000},
                                           {"GB", 1'000'000'000},
                                           {"KIB", 1ull << 10},
                                           {"MIB", 1ull << 20},
                                           {"GIB", 1ull << 30}};
    for (auto const& u : units) {
        if (unit != u.name) continue;
        std::uint64_t bytes = 0;
        if (__builtin_mul_overflow(n, u.scale, &bytes)) throw bad("the size is too large");
        if (!unit.empty() && !unit.ends_with("IB") && text.back() == 'b') bytes /= 8;
        if (bytes == 0) throw bad("the size is zero");
        return bytes;
    }
    throw bad("unknown unit \"" + std::string(text.substr(i)) + "\"");
}

namespace detail {

/// A double as Python's repr() writes it: the shortest digits that round-trip, in fixed
/// notation when the decimal exponent is in [-4, 16) (with ".0" when integral), otherwise as
/// 1.5e-07 / 1e+16. nlohmann switches to exponents at 1e15, hence this function.
inline std::string python_float_repr(double v) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v < 0 ? "-Infinity" : "Infinity";
    char buf[64];
    auto const r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
    std::string_view const sci(buf, static_cast<std::size_t>(r.ptr - buf)); // "-1.2345e+07"
    auto const e_pos = sci.find('e');
    std::string_view mant = sci.substr(0, e_pos);
    std::string out;
    if (mant.front() == '-') {
        out = "-";
        mant.remove_prefix(1);
    }
    std::string digits;
    for (char c : mant)
        if (c != '.') digits += c;
    int exp = 0;
    std::from_chars(sci.data() + e_pos + (sci[e_pos + 1] == '+' ? 2 : 1), sci.data() + sci.size(),
                    exp);
    auto const n = static_cast<int>(digits.size());
    if (exp >= -4 && exp < 16) {
        if (exp < 0)
            return out + "0." + std::string(static_cast<std::size_t>(-exp - 1), '0') + digits;
        if (n <= exp + 1)
            return out + digits + std::string(static_cast<std::size_t>(exp + 1 - n), '0') + ".0";
        return out + digits.substr(0, static_cast<std::size_t>(exp + 1)) + "." +
               digits.substr(static_cast<std::size_t>(exp + 1));
    }
    out += digits.substr(0, 1);
    if (n > 1) out += "." + digits.substr(1);
    return out + std::string(sci.substr(e_pos)); // to_chars writes e+16 / e-07, as Python does
}

inline void python_json_dump(nlohmann::json const& j, int depth, std::string& out) {
    auto const newline = [&](int d) {
        out += '\n';
        out.append(static_cast<std::size_t>(2 * d), ' ');
    };
    switch (j.type()) {
    case nlohmann::json::value_t::number_float:
        out += python_float_repr(j.get<double>());
        return;
    case nlohmann::json::value_t::array: {
        if (j.empty()) {
            out += "[]";
            return;
        }
        out += '[';
        bool first = true;
        for (auto const& v : j) {
            if (!first) out += ',';
            first = false;
            newline(depth + 1);
            python_json_dump(v, depth + 1, out);
        }
        newline(depth);
        out += ']';
        return;
    }
    case nlohmann::json::value_t::object: {
        if (j.empty()) {
            out += "{}";
            return;
        }
        out += '{';
        bool first = true;
        for (auto const& [k, v] : j.items()) { // nlohmann::json keeps keys sorted
            if (!first) out += ',';
            first = false;
            newline(depth + 1);
            out += nlohmann::json(k).dump(-1, ' ', true);
            out += ": ";
            python_json_dump(v, depth + 1, out);
        }
        newline(depth);
        out += '}';
        return;
    }
    default:
        out += j.dump(-1, ' ', true);
    }
}

} // namespace detail

/// `j` as transformers writes config.json and index files: json.dumps(j, indent=2,
/// sort_keys=True) (so ensure_ascii, ", " / ": " separators, Python float repr) plus "\n".
inline std::string to_transformers_json(nlohmann::json const& j) {
    std::string out;
    detail::python_json_dump(j, 0, out);
    return out + "\n";
}

struct checkpoint_writer_options {
    std::uint64_t max_shard_size = 5'000'000'000; // transformers' default, "5GB"
    bool overwrite = false;
};

class checkpoint_writer {
public:
    /// One output weight file: its name and its tensors in declaration order.
    struct shard {
        std::string file;
        std::vector<std::string> tensors;
        std::uint64_t bytes = 0;
    };

    explicit checkpoint_writer(std::filesystem::path out, checkpoint_writer_options options = {})
        : out_(std::move(out)), options_(options) {
        if (options_.max_shard_size == 0)
            throw error("checkpoint_writer.max_shard_size", out_.string(), "max_shard_size is 0",
                        "a positive number of bytes", "use a size like 5GB");
    }
    checkpoint_writer(checkpoint_writer&& o) noexcept
        : out_(std::move(o.out_)), options_(o.options_), tensors_(std::move(o.tensors_)),
          index_(std::move(o.index_)), config_(std::move(o.config_)), copies_(std::move(o.copies_)),
          shards_(std::move(o.shards_)), outputs_(std::move(o.outputs_)),
          tmp_(std::exchange(o.tmp_, {})), state_(std::exchange(o.state_, done)) {}
    checkpoint_writer& operator=(checkpoint_writer&&) = delete;
    checkpoint_writer(checkpoint_writer const&) = delete;
    checkpoint_writer& operator=(checkpoint_writer const&) = delete;
    ~checkpoint_writer() { abandon(); }

    /// Declares a tensor. Declaration order decides shard assignment.
    void add(std::string name, dtype type, std::vector<std::int64_t> shape) {
        require(declaring, "add");
        if (index_.contains(name))
            throw error("checkpoint_writer.duplicate", out_.string() + ", tensor '" + name + "'",
                        "was declared twice", "unique names", "declare each tensor once");
        auto const bytes =
            detail::tensor_bytes(type, shape, out_.string() + ", tensor '" + name + "'");
        index_.emplace(name, tensors_.size());
        tensors_.push_back({std::move(name), type, std::move(shape), bytes, 0});
    }

    /// The config.json to write (an object; written at commit()). Without it none is written.
    void set_config(nlohmann::json config) {
        require(declaring, "set_config");
        if (!config.is_object())
            throw error("checkpoint_writer.config", out_.string(),
                        std::string("config is a JSON ") + config.type_name(), "a JSON object",
                        "pass the parsed config.json object");
        config_ = std::move(config);
    }

    /// Copies `source` into the output as `name` (default: its file name) at commit().
    void copy_file(std::filesystem::path const& source, std::string name = {}) {
        if (state_ == done) require(writing, "copy_file");
        if (name.empty()) name = source.filename().string();
        std::error_code ec;
        if (!std::filesystem::is_regular_file(source, ec))
            throw error("checkpoint_writer.copy", source.string(), "is not a regular file", "",
                        "check the path of the file to copy");
        if (name == config_name || name == weights_index_name || name.ends_with(".safetensors") ||
            name.find('/') != std::string::npos || name == "." || name == "..")
            throw error("checkpoint_writer.copy", source.string(),
                        "would be copied as \"" + name +
                            "\", a name the writer owns or not a "
                            "plain file name",
                        "", "copy only files other than config.json and weights");
        for (auto const& [src, n] : copies_)
            if (n == name)
                throw error("checkpoint_writer.copy", source.string(),
                            "would be copied as \"" + name + "\" like " + src.string(), "",
                            "copy each file name once");
        copies_.emplace_back(source, std::move(name));
    }

    /// copy_file() for every other file of `source` (tokenizer files, generation_config.json...).
    void copy_files_from(checkpoint const& source) {
        for (auto const& f : source.other_files()) copy_file(source.directory() / f);
    }

    /// Plans the shards, checks the target, and creates the temporary directory.
    void begin() {
        require(declaring, "begin");
        check_target();
        plan();
        tmp_ = detail::create_temp_dir(out_);
        outputs_.resize(shards_.size());
        for (std::size_t s = 0; s < shards_.size(); ++s) {
            for (auto const& n : shards_[s].tensors) {
                auto const& t = tensors_[index_.find(n)->second];
                outputs_[s].writer.add(t.name, t.type, t.shape);
            }
            outputs_[s].remaining = shards_[s].bytes;
        }
        state_ = writing;
    }

    /// The shards planned by begin().
    [[nodiscard]] std::vector<shard> const& shards() const noexcept { return shards_; }
    /// The file name of the shard that holds `name` (after begin()).
    [[nodiscard]] std::string const& shard_of(std::string_view name) const {
        if (state_ == declaring) require(writing, "shard_of");
        return shards_[tensor(name).shard].file;
    }
    /// Bytes of all declared tensors (the index's metadata.total_size).
    [[nodiscard]] std::uint64_t total_size() const noexcept {
        std::uint64_t n = 0;
        for (auto const& t : tensors_) n += t.bytes;
        return n;
    }
    /// The temporary directory being filled (empty before begin() and after commit()).
    [[nodiscard]] std::filesystem::path const& temp_directory() const noexcept { return tmp_; }

    /// Appends `bytes` to tensor `name`; a shard is finished as soon as its last byte arrives,
    /// so that in-order writing keeps one shard file open at a time.
    void write(std::string_view name, std::span<std::byte const> bytes) {
        require(writing, "write");
        auto const s = tensor(name).shard;
        if (bytes.empty()) return;
        auto& o = outputs_[s];
        if (o.finished) // only reached by writing past a complete tensor: let it say so
            throw error(
                "checkpoint_writer.size", out_.string() + ", tensor '" + std::string(name) + "'",
                std::to_string(bytes.size()) + " bytes more after the tensor was complete",
                "each tensor's bytes written once", "write each tensor's bytes exactly once");
        if (o.writer.path().empty()) o.writer.begin(tmp_ / shards_[s].file);
        o.writer.write(name, bytes);
        o.remaining -= bytes.size();
        if (o.remaining == 0) finish_shard(s);
    }

    /// Finishes every shard, writes the index and config.json, copies the files, and renames
    /// the directory to the output.
    void commit() {
        require(writing, "commit");
        for (std::size_t s = 0; s < shards_.size(); ++s)
            if (!outputs_[s].finished) finish_shard(s);
        for (auto const& [source, name] : copies_) {
            std::error_code ec;
            std::filesystem::copy_file(source, tmp_ / name, ec);
            if (ec)
                throw error("io.copy", source.string(),
                            "cannot copy into " + tmp_.string() + ": " + ec.message(), "",
                            "check free disk space and permissions");
        }
        if (shards_.size() > 1) {
            nlohmann::json index;
            index["metadata"]["total_size"] = total_size();
            auto& wm = index["weight_map"] = nlohmann::json::object();
            for (auto const& sh : shards_)
                for (auto const& n : sh.tensors) wm[n] = sh.file;
            detail::write_text_file(tmp_ / weights_index_name, dump_like_transformers(index));
        }
        if (!config_.is_null())
            detail::write_text_file(tmp_ / config_name, dump_like_transformers(config_));
        publish();
        tmp_.clear();
        state_ = done;
    }

private:
    enum state { declaring, writing, done };
    struct tensor_entry {
        std::string name;
        dtype type;
        std::vector<std::int64_t> shape;
        std::uint64_t bytes;
        std::size_t shard;
    };

    void require(state s, char const* call) const {
        static constexpr char const* when[] = {"before begin()", "between begin() and commit()",
                                               "never after commit()"};
        if (state_ != s)
            throw error("checkpoint_writer.order", out_.string(),
                        std::string(call) + "() called out of order",
                        std::string("calling it ") + when[s],
                        "add() all tensors, begin(), write() each, then commit()");
    }

    tensor_entry const& tensor(std::string_view name) const {
        auto const it = index_.find(name);
        if (it == index_.end())
            throw error("checkpoint_writer.unknown",
                        out_.string() + ", tensor '" + std::string(name) + "'",
                        "was not declared with add() before begin()", "a declared tensor",
                        "add() every tensor before begin()");
        return tensors_[it->second];
    }

    /// One shard file being written; begun at its first write, finished at its last byte.
    struct shard_output {
        safetensors_writer writer;
        std::uint64_t remaining = 0;
        bool finished = false;
    };
    void finish_shard(std::size_t s) {
        auto& o = outputs_[s];
        if (o.writer.path().empty()) o.writer.begin(tmp_ / shards_[s].file);
        o.writer.finish();
        o.finished = true;
    }

    void check_target() const {
        std::error_code ec;
        auto const parent = std::filesystem::absolute(out_, ec).parent_path();
        if (!std::filesystem::is_directory(parent, ec))
            throw error("checkpoint_writer.parent", out_.string(),
                        "parent directory " + parent.string() + " does not exist", "",
                        "create the parent directory first");
        if (!options_.overwrite && exists(out_))
            throw error("checkpoint_writer.exists", out_.string(), "already exists", "",
                        "choose another output path, remove it, or allow overwriting");
    }
    static bool exists(std::filesystem::path const& p) {
        std::error_code ec;
        return std::filesystem::exists(std::filesystem::symlink_status(p, ec));
    }

    void plan() {
        std::vector<std::vector<std::size_t>> groups;
        std::vector<std::size_t> current;
        std::uint64_t current_bytes = 0;
        for (std::size_t i = 0; i < tensors_.size(); ++i) {
            auto const b = tensors_[i].bytes;
            if (b > options_.max_shard_size) {
                groups.push_back({i});
                continue;
            }
            if (current_bytes + b > options_.max_shard_size && !current.empty()) {
                groups.push_back(std::move(current));
                current.clear();
                current_bytes = 0;
            }
            current.push_back(i);
            current_bytes += b;
        }
        if (!current.empty() || groups.empty()) groups.push_back(std::move(current));

        shards_.clear();
        for (std::size_t s = 0; s < groups.size(); ++s) {
            shard sh;
            sh.file = groups.size() == 1 ? std::string(single_weights_name)
                                         : shard_file_name(s + 1, groups.size());
            for (auto i : groups[s]) {
                tensors_[i].shard = s;
                sh.tensors.push_back(tensors_[i].name);
                sh.bytes += tensors_[i].bytes;
            }
            shards_.push_back(std::move(sh));
        }
    }
    static std::string shard_file_name(std::size_t i, std::size_t n) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "model-%05zu-of-%05zu.safetensors", i, n);
        return buf;
    }

    std::string dump_like_transformers(nlohmann::json const& j) const {
        try {
            return to_transformers_json(j);
        } catch (nlohmann::json::exception const& e) {
            throw error("checkpoint_writer.config", out_.string(),
                        std::string("cannot serialize JSON: ") + e.what(), "valid UTF-8 strings",
                        "replace the invalid strings in the config");
        }
    }

    /// Renames the temporary directory to out_; an existing out_ is moved aside first and
    /// removed only once the new directory is in place.
    void publish() {
        check_target();
        std::error_code ec;
        std::filesystem::path old;
        if (exists(out_)) {
            old = out_;
            old += ".nuq-old-" + detail::random_suffix();
            std::filesystem::rename(out_, old, ec);
            if (ec)
                throw error("io.rename", out_.string(),
                            "cannot move the old output aside: " + ec.message(), "",
                            "check permissions on the parent directory");
        }
        std::filesystem::rename(tmp_, out_, ec);
        if (ec) {
            std::error_code ignored;
            if (!old.empty()) std::filesystem::rename(old, out_, ignored);
            throw error("io.rename", out_.string(),
                        "cannot rename " + tmp_.string() + " into place: " + ec.message(), "",
                        "check permissions on the parent directory");
        }
        if (!old.empty()) std::filesystem::remove_all(old, ec);
    }

    /// Closes the shard writers and removes the temporary directory, unless committed.
    void abandon() noexcept {
        outputs_.clear();
        if (!tmp_.empty()) {
            std::error_code ec;
            std::filesystem::remove_all(tmp_, ec);
            tmp_.clear();
        }
    }

    std::filesystem::path out_;
    checkpoint_writer_options options_;
    std::vector<tensor_entry> tensors_; // declaration order
    std::map<std::string, std::size_t, std::less<>> index_;
    nlohmann::json config_;
    std::vector<std::pair<std::filesystem::path, std::string>> copies_;
    std::vector<shard> shards_;
    std::vector<shard_output> outputs_;
    std::filesystem::path tmp_;
    state state_ = declaring;
};

} // namespace nuq::io
