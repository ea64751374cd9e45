#pragma once
// safetensors_file: a .safetensors file mapped read-only, with its header validated in full
// before any tensor is handed out.
//
// Layout: u64 little-endian N, then N bytes of JSON header, then the data section. The header
// is an object: optional "__metadata__" (object of strings), and per tensor
// {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]} with offsets relative to the
// data section. Checked here: the length against the file size, JSON validity, no duplicate
// keys, known dtypes, non-negative integer shapes, shape x dtype size == end - begin (without
// overflow), offsets inside the data section, no two tensors overlapping. Gaps between tensors
// and bytes after the last one are accepted (the Python loader rejects them) because they
// cannot make a view wrong. Data is little-endian, C order; a view may be unaligned in files
// not written by a standard writer, so read it with memcpy or a byte-wise loader.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "nuq/error.hpp"
#include "nuq/io/posix_file.hpp"
#include "nuq/numeric/dtype.hpp"

namespace nuq::io {

/// One tensor of a mapped file. `bytes` points into the mapping: valid while the file object
/// that produced it is alive (moving that object keeps it valid).
struct tensor_view {
    std::string name;
    dtype type = dtype::invalid;
    std::vector<std::int64_t> shape;
    std::span<std::byte const> bytes;

    [[nodiscard]] std::int64_t numel() const noexcept {
        std::int64_t n = 1;
        for (auto d : shape) n *= d;
        return n;
    }
};

namespace detail {

/// The Python library's limit; a larger header is almost certainly not a safetensors file.
inline constexpr std::uint64_t max_header_size = 100'000'000;

inline std::string known_safetensors_dtypes() {
    std::string s;
    for (auto const& i : nuq::detail::dtype_table)
        s += (s.empty() ? "" : ", ") + std::string(i.safetensors);
    return s;
}

/// Reads a JSON number that must be a non-negative integer no larger than `limit`.
inline bool read_index(nlohmann::json const& v, std::uint64_t limit, std::uint64_t& out) {
    if (!v.is_number_integer()) return false;
    if (v.is_number_unsigned()) {
        out = v.get<std::uint64_t>();
        return out <= limit;
    }
    auto const s = v.get<std::int64_t>();
    out = static_cast<std::uint64_t>(s);
    return s >= 0 && out <= limit;
}

} // namespace detail

class safetensors_file {
public:
    /// Maps and validates `path`; throws nuq::error naming the file (and tensor) otherwise.
    explicit safetensors_file(std::filesystem::path path) : path_(std::move(path)) {
        map_ = detail::mapped_file::open(path_, 8, "safetensors.truncated");
        parse_header();
    }
    static safetensors_file open(std::filesystem::path path) {
        return safetensors_file(std::move(path));
    }

    [[nodiscard]] std::filesystem::path const& path() const noexcept { return path_; }
    /// Tensor names in file order (by data offset).
    [[nodiscard]] std::vector<std::string> names() const {
        std::vector<std::string> out;
        out.reserve(entries_.size());
        for (auto const& e : entries_) out.push_back(e.name);
        return out;
    }
    [[nodiscard]] std::size_t size() const noexcept { return entries_.size(); }
    [[nodiscard]] bool contains(std::string_view name) const { return index_.contains(name); }
    [[nodiscard]] tensor_view tensor(std::string_view name) const {
        auto const it = index_.find(name);
        if (it == index_.end())
            throw error("safetensors.missing", path_.string(),
                        "no tensor named '" + std::string(name) + "' among its " +
                            std::to_string(entries_.size()) + " tensors",
                        "", "check the tensor name (names() lists them)");
        auto const& e = entries_[it->second];
        return {e.name, e.type, e.shape,
                map_.bytes().subspan(data_start_ + e.begin, e.end - e.begin)};
    }
    /// The "__metadata__" object (empty when absent), e.g. {"format": "pt"}.
    [[nodiscard]] std::map<std::string, std::string> const& metadata() const noexcept {
        return metadata_;
    }
    /// Sum of the tensors' byte sizes.
    [[nodiscard]] std::uint64_t data_size() const noexcept {
        std::uint64_t n = 0;
        for (auto const& e : entries_) n += e.end - e.begin;
        return n;
    }

private:
    struct entry {
        std::string name;
        dtype type;
        std::vector<std::int64_t> shape;
        std::uint64_t begin, end;
    };

    [[noreturn]] void fail(std::string id, std::string const& tensor, std::string found,
                           std::string expected, std::string fix) const {
        std::string where = path_.string();
        if (!tensor.empty()) where += ", tensor '" + tensor + "'";
        throw error(std::move(id), std::move(where), std::move(found), std::move(expected),
                    std::move(fix));
    }
    static constexpr char const* damaged =
        "the file is damaged or was not written as safetensors; copy, download or export it "
        "again";

    void parse_header() {
        auto const file = map_.bytes();
        std::uint64_t n = 0;
        for (int i = 7; i >= 0; --i) n = (n << 8) | std::to_integer<std::uint64_t>(file[i]);
        std::uint64_t const room = file.size() - 8;
        if (n > room)
            fail("safetensors.header_length", "",
                 "header length " + std::to_string(n) + " runs past the end of the file (" +
                     std::to_string(file.size()) + " bytes)",
                 "at most " + std::to_string(room), damaged);
        if (n > detail::max_header_size)
            fail("safetensors.header_length", "", "header is " + std::to_string(n) + " bytes",
                 "at most " + std::to_string(detail::max_header_size), damaged);
        data_start_ = 8 + n;
        std::uint64_t const data_size = file.size() - data_start_;

        // Duplicate top-level keys would silently drop a tensor; catch them while parsing.
        std::set<std::string, std::less<>> keys;
        std::string duplicate;
        auto const on_event = [&](int depth, nlohmann::json::parse_event_t ev,
                                  nlohmann::json& parsed) {
            if (depth == 1 && ev == nlohmann::json::parse_event_t::key && duplicate.empty() &&
                !keys.insert(parsed.get<std::string>()).second)
                duplicate = parsed.get<std::string>();
            return true;
        };
        auto const* text = reinterpret_cast<char const*>(file.data() + 8);
        nlohmann::json header;
        try {
            header = nlohmann::json::parse(text, text + n, on_event);
        } catch (nlohmann::json::exception const& e) {
            fail("safetensors.header_json", "",
                 std::string("header is not valid JSON: ") + e.what(), "", damaged);
        }
        if (!header.is_object())
            fail("safetensors.header_json", "",
                 std::string("header is a JSON ") + header.type_name(), "a JSON object", damaged);
        if (!duplicate.empty())
            fail("safetensors.duplicate", duplicate, "the name appears twice in the header",
                 "unique names", damaged);

        for (auto const& [key, value] : header.items()) {
            if (key == "__metadata__")
                read_metadata(value);
            else
                entries_.push_back(read_entry(key, value, data_size));
        }

        std::sort(entries_.begin(), entries_.end(), [](entry const& a, entry const& b) {
            return std::tie(a.begin, a.end, a.name) < std::tie(b.begin, b.end, b.name);
        });
        check_overlaps();
        for (std::size_t i = 0; i < entries_.size(); ++i) index_.emplace(entries_[i].name, i);
    }

    void read_metadata(nlohmann::json const& value) {
        if (value.is_null()) return;
        if (!value.is_object())
            fail("safetensors.metadata", "",
                 std::string("__metadata__ is a JSON ") + value.type_name(), "an object of strings",
                 damaged);
        for (auto const& [k, v] : value.items()) {
            if (!v.is_string())
                fail("safetensors.metadata", "",
                     "__metadata__ entry '" + k + "' is a JSON " + v.type_name(), "a string",
                     damaged);
            metadata_.emplace(k, v.get<std::string>());
        }
    }

    entry read_entry(std::string const& name, nlohmann::json const& v,
                     std::uint64_t data_size) const {
        if (!v.is_object())
            fail("safetensors.entry", name, std::string("entry is a JSON ") + v.type_name(),
                 R"(an object {"dtype", "shape", "data_offsets"})", damaged);
        for (char const* field : {"dtype", "shape", "data_offsets"})
            if (!v.contains(field))
                fail("safetensors.entry", name, std::string("missing \"") + field + "\"",
                     R"("dtype", "shape" and "data_offsets")", damaged);

        entry e{name, dtype::invalid, {}, 0, 0};
        auto const& dt = v["dtype"];
        auto const type =
            dt.is_string() ? dtype_from_safetensors(dt.get<std::string>()) : std::optional<dtype>{};
        if (!type)
            fail("safetensors.dtype", name, "dtype " + dt.dump() + " is not supported",
                 "one of " + detail::known_safetensors_dtypes(),
                 "convert the tensor to a supported dtype before saving");
        e.type = *type;

        auto const& sh = v["shape"];
        if (!sh.is_array())
            fail("safetensors.shape", name, "shape " + sh.dump() + " is not an array",
                 "an array of non-negative integers", damaged);
        std::uint64_t numel = 1;
        bool overflow = false;
        for (std::size_t i = 0; i < sh.size(); ++i) {
            std::uint64_t d = 0;
            if (!detail::read_index(sh[i], std::numeric_limits<std::int64_t>::max(), d))
                fail("safetensors.shape", name,
                     "shape " + sh.dump() + " has dimension " + sh[i].dump() + " at index " +
                         std::to_string(i),
                     "non-negative integers", damaged);
            e.shape.push_back(static_cast<std::int64_t>(d));
            overflow = overflow || __builtin_mul_overflow(numel, d, &numel);
        }
        std::uint64_t nbytes = 0;
        overflow = overflow || __builtin_mul_overflow(numel, size_of(e.type), &nbytes) ||
                   nbytes > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());

        auto const& off = v["data_offsets"];
        if (!off.is_array() || off.size() != 2 ||
            !detail::read_index(off[0], std::numeric_limits<std::uint64_t>::max(), e.begin) ||
            !detail::read_index(off[1], std::numeric_limits<std::uint64_t>::max(), e.end))
            fail("safetensors.offsets", name, "data_offsets " + off.dump() + " is malformed",
                 "[begin, end] with non-negative integers", damaged);
        if (e.begin > e.end || e.end > data_size)
            fail("safetensors.offsets", name,
                 "data_offsets " + off.dump() + " lie outside the data section of " +
                     std::to_string(data_size) + " bytes",
                 "begin <= end <= " + std::to_string(data_size), damaged);
        if (overflow || nbytes != e.end - e.begin)
            fail("safetensors.size", name,
                 "shape " + sh.dump() + " of " + std::string(safetensors_name(e.type)) + " needs " +
                     (overflow ? std::string("more than 2^63") : std::to_string(nbytes)) +
                     " bytes but data_offsets " + off.dump() + " hold " +
                     std::to_string(e.end - e.begin),
                 "shape x dtype size == end - begin", damaged);
        return e;
    }

    /// entries_ is sorted by begin: a tensor overlaps an earlier one iff it starts before the
    /// furthest end seen so far (empty tensors occupy no bytes and overlap nothing).
    void check_overlaps() const {
        std::uint64_t reach = 0;
        entry const* owner = nullptr;
        for (auto const& e : entries_) {
            if (e.begin == e.end) continue;
            if (owner && e.begin < reach)
                fail("safetensors.overlap", e.name,
                     "bytes [" + std::to_string(e.begin) + ", " + std::to_string(e.end) +
                         ") overlap tensor '" + owner->name + "' at [" +
                         std::to_string(owner->begin) + ", " + std::to_string(owner->end) + ")",
                     "disjoint data_offsets", damaged);
            if (e.end > reach) {
                reach = e.end;
                owner = &e;
            }
        }
    }

    std::filesystem::path path_;
    detail::mapped_file map_;
    std::uint64_t data_start_ = 0;
    std::vector<entry> entries_; // file order
    std::map<std::string, std::size_t, std::less<>> index_;
    std::map<std::string, std::string> metadata_;
};

} // namespace nuq::io
