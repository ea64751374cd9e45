// Calibration samples: text cut into windows, JSONL of text or input_ids, shuffling, errors.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "nuq/calib/dataset.hpp"

namespace fs = std::filesystem;
namespace {
using ids = std::vector<nuq::tokenizer::token_id>;
std::string const data = NUQ_TEST_DATA;
nuq::tokenizer::tokenizer const bytes{nuq::tokenizer::byte_tokenizer{}};

fs::path write(std::string const& name, std::string const& content) {
    auto const p = fs::temp_directory_path() / ("nuq_calib_" + name);
    std::ofstream(p, std::ios::binary) << content;
    return p;
}
std::string message_of(fs::path const& p) {
    try {
        nuq::calib::load_calibration_samples(p, bytes);
    } catch (nuq::error const& e) {
        return e.what();
    }
    return "";
}
} // namespace

TEST_CASE("text file: 64 samples of 256 bytes from byte 0 (the golden protocol)") {
    auto const path = data + "/corpus/sotu_calib.txt";
    std::ifstream f(path, std::ios::binary);
    std::string const text{std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
    auto const s = nuq::calib::load_calibration_samples(path, bytes, {64, 256, {}, {}});
    REQUIRE(s.size() == 64);
    for (std::size_t k = 0; k < 64; ++k) {
        INFO("sample " << k);
        REQUIRE(s[k].size() == 256);
        for (std::size_t i = 0; i < 256; ++i)
            REQUIRE(s[k][i] == static_cast<unsigned char>(text[256 * k + i]));
    }
}

TEST_CASE("text file: tokenized once as a whole, short tail dropped") {
    auto const p = write("tail.txt", std::string(1000, 'a'));
    CHECK(nuq::calib::load_calibration_samples(p, bytes, {512, 256, {}, {}}).size() == 3);
    auto const stories = nuq::tokenizer::load_tokenizer(data + "/models/stories260K");
    std::string const text = "Once upon a time, there was a little girl named Lily.";
    auto const t = write("stories.txt", text);
    auto const all = stories.encode(text); // 15 ids, no BOS
    auto const s = nuq::calib::load_calibration_samples(t, stories, {512, 4, {}, {}});
    REQUIRE(s.size() == 3);
    CHECK(s[0] == ids{403, 407, 261, 378});
    CHECK(s[2] == ids(all.begin() + 8, all.begin() + 12));
    CHECK_THAT(message_of(write("short.txt", "abc")), Catch::Contains("no sample"));
    fs::remove(p);
    fs::remove(t);
}

TEST_CASE("JSONL: text and input_ids, truncated to max_seq_length") {
    auto const p = write("mixed.jsonl", "{\"text\": \"Hello\"}\n"
                                        "\n"
                                        "{\"input_ids\": [1, 2, 3]}\r\n"
                                        "{\"text\": \"a much longer line of text\", \"id\": 7}\n"
                                        "{\"input_ids\": [9, 8, 7, 6, 5, 4, 3]}\n");
    auto const s = nuq::calib::load_calibration_samples(p, bytes, {512, 5, {}, {}});
    REQUIRE(s.size() == 4);
    CHECK(s[0] == ids{'H', 'e', 'l', 'l', 'o'});
    CHECK(s[1] == ids{1, 2, 3});
    CHECK(s[2] == ids{'a', ' ', 'm', 'u', 'c'});
    CHECK(s[3] == ids{9, 8, 7, 6, 5});
    // num_calibration_samples keeps the first N.
    CHECK(nuq::calib::load_calibration_samples(p, bytes, {2, 5, {}, {}}).size() == 2);
    fs::remove(p);
}

TEST_CASE("JSONL: malformed lines are reported with file and line") {
    auto const bad = write("bad.jsonl", "{\"text\": \"ok\"}\n{\"text\": \"unterminated}\n");
    CHECK_THAT(message_of(bad), Catch::Contains("nuq_calib_bad.jsonl:2") &&
                                    Catch::Contains("not JSON"));
    auto const neither = write("neither.jsonl", "{\"text\": \"ok\"}\n\n{\"prompt\": \"x\"}\n");
    CHECK_THAT(message_of(neither), Catch::Contains("nuq_calib_neither.jsonl:3") &&
                                        Catch::Contains("neither a \"text\""));
    auto const arr = write("array.jsonl", "[1, 2]\n");
    CHECK_THAT(message_of(arr), Catch::Contains("array.jsonl:1") && Catch::Contains("a JSON array"));
    auto const range = write("range.jsonl", "{\"input_ids\": [1, 256]}\n");
    CHECK_THAT(message_of(range), Catch::Contains("range.jsonl:1") && Catch::Contains("256") &&
                                      Catch::Contains("[0, 256)"));
    auto const notlist = write("notlist.jsonl", "{\"input_ids\": \"1 2\"}\n");
    CHECK_THAT(message_of(notlist), Catch::Contains("input_ids is string"));
    for (auto const& p : {bad, neither, arr, range, notlist}) fs::remove(p);
}

TEST_CASE("shuffling with a seed: a reproducible permutation, then the first N") {
    std::string text;
    for (int k = 0; k < 20; ++k) text += std::string(4, static_cast<char>('a' + k));
    auto const p = write("shuffle.txt", text);
    auto const plain = nuq::calib::load_calibration_samples(p, bytes, {512, 4, {}, {}});
    auto const a = nuq::calib::load_calibration_samples(p, bytes, {512, 4, 42, {}});
    auto const b = nuq::calib::load_calibration_samples(p, bytes, {512, 4, 42, {}});
    auto const c = nuq::calib::load_calibration_samples(p, bytes, {512, 4, 7, {}});
    auto const few = nuq::calib::load_calibration_samples(p, bytes, {5, 4, 42, {}});
    REQUIRE(plain.size() == 20);
    CHECK(plain[3] == ids(4, 'd'));
    CHECK(a == b);
    CHECK(a != plain);
    CHECK(a != c);
    CHECK(std::is_permutation(a.begin(), a.end(), plain.begin()));
    CHECK(few == std::vector<nuq::calib::sample>(a.begin(), a.begin() + 5));
    // The documented algorithm, spelled out.
    std::vector<nuq::calib::sample> expect = plain;
    std::mt19937_64 engine(42);
    for (std::size_t i = expect.size(); i > 1; --i) std::swap(expect[i - 1], expect[engine() % i]);
    CHECK(a == expect);
    fs::remove(p);
}

TEST_CASE("dataset errors") {
    CHECK_THAT(message_of("/nonexistent/calib.txt"), Catch::Contains("/nonexistent/calib.txt") &&
                                                          Catch::Contains("cannot be opened"));
    auto const p = write("zero.txt", "abc");
    CHECK_THROWS_AS(nuq::calib::load_calibration_samples(p, bytes, {1, 0, {}, {}}), nuq::error);
    fs::remove(p);
}
