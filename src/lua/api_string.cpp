// ngx.* codecs and digests. The hot, allocation-free ones (base64, md5, sha1, crc32, URI
// escaping) are FFI halves of lua/tycho/string.lua, as lua-resty-core splits them; the rest
// (encode_args, decode_args, hmac_sha1, quote_sql_str) are classic C functions, as in
// lua-nginx-module, with its exact argument errors.

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <lua.hpp>
#include <string>

#include "lua/api.h"

namespace tycho::lua {
namespace {

constexpr int kMaxArgs = 100;  // NGX_HTTP_LUA_MAX_ARGS

// Escape tables from lua-nginx-module's ngx_http_lua_escape_uri (a bit per byte value: 1 =
// escape), indexed by the `type` argument: 0 uri, 1 args, 2 uri_component, 3 html, 4 refresh,
// 5 memcached, 6 mail_auth.
constexpr uint32_t kUri[] = {0xffffffff, 0x80000029, 0x00000000, 0x80000000,
                             0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff};
constexpr uint32_t kArgs[] = {0xffffffff, 0x80000829, 0x00000000, 0x80000000,
                              0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff};
constexpr uint32_t kUriComponent[] = {0xffffffff, 0xfc00987d, 0x78000001, 0xb8000001,
                                      0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff};
constexpr uint32_t kHtml[] = {0xffffffff, 0x000000ad, 0x00000000, 0x80000000,
                              0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff};
constexpr uint32_t kRefresh[] = {0xffffffff, 0x00000085, 0x00000000, 0x80000000,
                                 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff};
constexpr uint32_t kMemcached[] = {0xffffffff, 0x00000021, 0, 0, 0, 0, 0, 0};
constexpr const uint32_t* kEscapeMaps[] = {kUri,     kArgs,      kUriComponent, kHtml,
                                           kRefresh, kMemcached, kMemcached};
constexpr int kEscapeUriComponent = 2;

const uint32_t* escape_map(int type) {
    if (type < 0 || type > 6) {
        type = kEscapeUriComponent;
    }
    return kEscapeMaps[type];
}

inline bool must_escape(const uint32_t* map, unsigned char c) {
    return (map[c >> 5] & (1u << (c & 0x1f))) != 0;
}

size_t count_escapes(const unsigned char* src, size_t len, int type) {
    const uint32_t* map = escape_map(type);
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        n += must_escape(map, src[i]) ? 1 : 0;
    }
    return n;
}

unsigned char* escape_into(unsigned char* dst, const unsigned char* src, size_t len, int type) {
    static const char kHex[] = "0123456789ABCDEF";
    const uint32_t* map = escape_map(type);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = src[i];
        if (must_escape(map, c)) {
            *dst++ = '%';
            *dst++ = kHex[c >> 4];
            *dst++ = kHex[c & 0xf];
        } else {
            *dst++ = c;
        }
    }
    return dst;
}

int hex_value(unsigned char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    c |= 0x20;
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    return -1;
}

// lua-nginx-module's ngx_http_lua_unescape_uri in its URI-component mode: "%XX" decodes, a '%'
// not followed by two hex digits stays literal, '+' becomes a space. dst may equal src.
size_t unescape_component(unsigned char* dst, const unsigned char* src, size_t len) {
    unsigned char* d = dst;
    size_t i = 0;
    while (i < len) {
        unsigned char c = src[i++];
        if (c == '%') {
            if (len - i < 2 || hex_value(src[i]) < 0 || hex_value(src[i + 1]) < 0) {
                *d++ = '%';
                continue;
            }
            *d++ = static_cast<unsigned char>(hex_value(src[i]) * 16 + hex_value(src[i + 1]));
            i += 2;
        } else if (c == '+') {
            *d++ = ' ';
        } else {
            *d++ = c;
        }
    }
    return static_cast<size_t>(d - dst);
}

// CRC-32 (IEEE, reflected), as nginx's ngx_crc32_short/ngx_crc32_long: the two differ only in
// table size there, never in result.
struct Crc32Table {
    uint32_t t[256];
    constexpr Crc32Table() : t() {
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++) {
                c = (c & 1) ? (0xedb88320u ^ (c >> 1)) : (c >> 1);
            }
            t[i] = c;
        }
    }
};
constexpr Crc32Table kCrc32;

uint32_t crc32(const unsigned char* p, size_t len) {
    uint32_t crc = 0xffffffffu;
    for (size_t i = 0; i < len; i++) {
        crc = kCrc32.t[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
    }
    return crc ^ 0xffffffffu;
}

void digest(const EVP_MD* md, const unsigned char* src, size_t len, unsigned char* dst) {
    unsigned int n = 0;
    if (EVP_Digest(src, len, dst, &n, md, nullptr) != 1) {
        std::memset(dst, 0, static_cast<size_t>(EVP_MD_get_size(md)));
    }
}

// --- classic C API functions ---------------------------------------------------------------

// ngx_http_lua_process_args_option: one pass validates (so errors leave nothing allocated),
// the second builds. Values: strings and numbers as key=value, `true` as a bare key, `false`
// dropped, arrays expand to repeated keys.
int ngx_encode_args(lua_State* L) {
    if (lua_gettop(L) != 1) {
        return luaL_error(L, "expecting 1 argument but seen %d", lua_gettop(L));
    }
    luaL_checktype(L, 1, LUA_TTABLE);

    lua_pushnil(L);
    while (lua_next(L, 1) != 0) {
        if (lua_type(L, -2) != LUA_TSTRING) {
            return luaL_error(L, "attempt to use a non-string key in the \"args\" option table");
        }
        switch (lua_type(L, -1)) {
            case LUA_TNUMBER:
            case LUA_TSTRING:
            case LUA_TBOOLEAN:
                break;
            case LUA_TTABLE:
                lua_pushnil(L);
                while (lua_next(L, -2) != 0) {
                    int t = lua_type(L, -1);
                    if (t != LUA_TBOOLEAN && t != LUA_TNUMBER && t != LUA_TSTRING) {
                        return luaL_error(L, "attempt to use %s as query arg value",
                                          luaL_typename(L, -1));
                    }
                    lua_pop(L, 1);
                }
                break;
            default:
                return luaL_error(L, "attempt to use %s as query arg value", luaL_typename(L, -1));
        }
        lua_pop(L, 1);
    }

    // A luaL_Buffer would own stack slots the table walk needs, so build in a std::string; no
    // Lua error can be raised below except out-of-memory, which unwinds it cleanly on x64.
    std::string out;
    bool first = true;
    auto append_escaped = [&out](const char* s, size_t n) {
        const auto* src = reinterpret_cast<const unsigned char*>(s);
        size_t esc = count_escapes(src, n, kEscapeUriComponent);
        size_t at = out.size();
        out.resize(at + n + 2 * esc);
        escape_into(reinterpret_cast<unsigned char*>(out.data()) + at, src, n, kEscapeUriComponent);
    };
    auto append_pair = [&](const char* key, size_t klen, int vindex) {
        if (!first) {
            out.push_back('&');
        }
        first = false;
        append_escaped(key, klen);
        if (vindex != 0) {
            size_t vlen = 0;
            const char* v = lua_tolstring(L, vindex, &vlen);
            out.push_back('=');
            append_escaped(v, vlen);
        }
    };

    lua_pushnil(L);
    while (lua_next(L, 1) != 0) {
        size_t klen = 0;
        const char* key = lua_tolstring(L, -2, &klen);
        switch (lua_type(L, -1)) {
            case LUA_TNUMBER:
            case LUA_TSTRING:
                append_pair(key, klen, lua_gettop(L));
                break;
            case LUA_TBOOLEAN:
                if (lua_toboolean(L, -1)) {
                    append_pair(key, klen, 0);
                }
                break;
            default:  // LUA_TTABLE, validated above
                lua_pushnil(L);
                while (lua_next(L, -2) != 0) {
                    if (lua_type(L, -1) == LUA_TBOOLEAN) {
                        if (lua_toboolean(L, -1)) {
                            append_pair(key, klen, 0);
                        }
                    } else {
                        lua_pushvalue(L, -1);
                        append_pair(key, klen, lua_gettop(L));
                        lua_pop(L, 1);
                    }
                    lua_pop(L, 1);
                }
                break;
        }
        lua_pop(L, 1);
    }
    lua_pushlstring(L, out.data(), out.size());
    return 1;
}

// ngx_http_lua_set_multi_value_table: table at `index`, key and value on top; a repeated key
// turns the entry into an array of values.
void set_multi_value(lua_State* L, int index) {
    lua_pushvalue(L, -2);
    lua_rawget(L, index);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        lua_rawset(L, index);
        return;
    }
    if (!lua_istable(L, -1)) {
        lua_createtable(L, 4, 0);  // key value old arr
        lua_insert(L, -2);         // key value arr old
        lua_rawseti(L, -2, 1);     // key value arr
        lua_insert(L, -2);         // key arr value
        lua_rawseti(L, -2, 2);     // key arr
        lua_rawset(L, index);
        return;
    }
    lua_insert(L, -2);  // key arr value
    lua_rawseti(L, -2, static_cast<int>(lua_objlen(L, -2)) + 1);
    lua_pop(L, 2);
}

// Pushes the unescaped key or value `p[0..len)` (unescaped in place: p is a private copy).
void push_unescaped(lua_State* L, unsigned char* p, size_t len) {
    size_t n = unescape_component(p, p, len);
    lua_pushlstring(L, reinterpret_cast<const char*>(p), n);
}

// Stores the pending key/value pair on the stack into the table at `index` unless the key is
// empty (OpenResty ignores those).
void store_pair(lua_State* L, int index) {
    size_t klen = 0;
    (void)lua_tolstring(L, -2, &klen);
    if (klen == 0) {
        lua_pop(L, 2);
    } else {
        set_multi_value(L, index);
    }
}

}  // namespace

// ngx_http_lua_parse_args; also what ngx.req.get_post_args uses. Pushes nothing: fills the
// table at `index`. Returns true if it stopped at the '&' ending the max-th (> 0) pair, where
// lua-nginx-module reports "truncated" whatever follows.
bool parse_args_into(lua_State* L, int index, unsigned char* buf, size_t len, int max) {
    unsigned char* p = buf;
    unsigned char* last = buf + len;
    unsigned char* q = p;
    bool parsing_value = false;
    int count = 0;
    while (p != last) {
        if (*p == '=' && !parsing_value) {
            push_unescaped(L, q, static_cast<size_t>(p - q));
            p++;
            q = p;
            parsing_value = true;
        } else if (*p == '&') {
            push_unescaped(L, q, static_cast<size_t>(p - q));
            p++;
            q = p;
            if (parsing_value) {
                parsing_value = false;
            } else {
                lua_pushboolean(L, 1);
            }
            store_pair(L, index);
            if (max > 0 && ++count == max) {
                return true;
            }
        } else {
            p++;
        }
    }
    if (p != q || parsing_value) {
        push_unescaped(L, q, static_cast<size_t>(p - q));
        if (!parsing_value) {
            lua_pushboolean(L, 1);
        }
        store_pair(L, index);
    }
    return false;
}

namespace {

int ngx_decode_args(lua_State* L) {
    int n = lua_gettop(L);
    if (n != 1 && n != 2) {
        return luaL_error(L, "expecting 1 or 2 arguments but seen %d", n);
    }
    size_t len = 0;
    const char* s = luaL_checklstring(L, 1, &len);
    int max = kMaxArgs;
    if (n == 2) {
        max = luaL_checkint(L, 2);
    }
    // A private copy, unescaped in place; a userdata so a Lua error frees it.
    auto* buf = static_cast<unsigned char*>(lua_newuserdata(L, len));
    std::memcpy(buf, s, len);
    lua_createtable(L, 0, 4);
    if (parse_args_into(L, lua_gettop(L), buf, len, max)) {
        lua_pushliteral(L, "truncated");
        return 2;
    }
    return 1;
}

int ngx_quote_sql_str(lua_State* L) {
    if (lua_gettop(L) != 1) {
        return luaL_error(L, "expecting one argument");
    }
    size_t len = 0;
    const auto* src = reinterpret_cast<const unsigned char*>(luaL_checklstring(L, 1, &len));
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    luaL_addchar(&b, '\'');
    for (size_t i = 0; i < len; i++) {
        unsigned char c = src[i];
        char esc = 0;
        switch (c) {
            case '\0':
                esc = '0';
                break;
            case '\b':
                esc = 'b';
                break;
            case '\n':
                esc = 'n';
                break;
            case '\r':
                esc = 'r';
                break;
            case '\t':
                esc = 't';
                break;
            case 26:
                esc = 'Z';
                break;
            case '\\':
                esc = '\\';
                break;
            case '\'':
                esc = '\'';
                break;
            case '"':
                esc = '"';
                break;
            default:
                break;
        }
        if (esc != 0) {
            luaL_addchar(&b, '\\');
            luaL_addchar(&b, esc);
        } else {
            luaL_addchar(&b, static_cast<char>(c));
        }
    }
    luaL_addchar(&b, '\'');
    luaL_pushresult(&b);
    return 1;
}

int ngx_hmac_sha1(lua_State* L) {
    if (lua_gettop(L) != 2) {
        return luaL_error(L, "expecting 2 arguments, but got %d", lua_gettop(L));
    }
    size_t klen = 0;
    size_t dlen = 0;
    const char* key = luaL_checklstring(L, 1, &klen);
    const char* data = luaL_checklstring(L, 2, &dlen);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    if (HMAC(EVP_sha1(), key, static_cast<int>(klen), reinterpret_cast<const unsigned char*>(data),
             dlen, md, &md_len) == nullptr) {
        return luaL_error(L, "HMAC failed");
    }
    lua_pushlstring(L, reinterpret_cast<const char*>(md), md_len);
    return 1;
}

}  // namespace

void inject_string(lua_State* L) {
    lua_pushcfunction(L, ngx_encode_args);
    lua_setfield(L, -2, "encode_args");
    lua_pushcfunction(L, ngx_decode_args);
    lua_setfield(L, -2, "decode_args");
    lua_pushcfunction(L, ngx_quote_sql_str);
    lua_setfield(L, -2, "quote_sql_str");
    lua_pushcfunction(L, ngx_hmac_sha1);
    lua_setfield(L, -2, "hmac_sha1");

    // The FFI half returns a table of functions; copy them into ngx.
    int ngx_index = lua_gettop(L);
    require_embedded(L, "tycho.string");
    lua_pushnil(L);
    while (lua_next(L, -2) != 0) {
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_settable(L, ngx_index);
    }
    lua_pop(L, 1);
}

}  // namespace tycho::lua

// --- FFI halves (lua/tycho/string.lua, lua/ngx/base64.lua) -----------------------------------

namespace {

constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kBase64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

struct DecodeTable {
    unsigned char v[256];
};

DecodeTable decode_table(const char* alphabet) {
    DecodeTable t{};
    std::memset(t.v, 77, sizeof(t.v));
    for (int i = 0; i < 64; i++) {
        t.v[static_cast<unsigned char>(alphabet[i])] = static_cast<unsigned char>(i);
    }
    return t;
}

size_t encode_base64(const char* basis, const unsigned char* src, size_t len, unsigned char* dst,
                     bool no_padding) {
    unsigned char* d = dst;
    const unsigned char* s = src;
    while (len > 2) {
        *d++ = basis[(s[0] >> 2) & 0x3f];
        *d++ = basis[((s[0] & 3) << 4) | (s[1] >> 4)];
        *d++ = basis[((s[1] & 0x0f) << 2) | (s[2] >> 6)];
        *d++ = basis[s[2] & 0x3f];
        s += 3;
        len -= 3;
    }
    if (len != 0) {
        *d++ = basis[(s[0] >> 2) & 0x3f];
        if (len == 1) {
            *d++ = basis[(s[0] & 3) << 4];
            if (!no_padding) {
                *d++ = '=';
            }
        } else {
            *d++ = basis[((s[0] & 3) << 4) | (s[1] >> 4)];
            *d++ = basis[(s[1] & 0x0f) << 2];
        }
        if (!no_padding) {
            *d++ = '=';
        }
    }
    return static_cast<size_t>(d - dst);
}

// nginx's ngx_decode_base64: decoding stops at the first '='; any byte outside the alphabet
// before it, or a length of 4n+1 symbols, is an error. Returns 1 on success, 0 on error.
// `b` maps each byte to its 6-bit value, 77 for bytes outside the alphabet.
int decode_base64(const unsigned char* b, const unsigned char* src, size_t len,
                  unsigned char* dst, size_t* dlen) {
    size_t n = 0;
    for (; n < len; n++) {
        if (src[n] == '=') {
            break;
        }
        if (b[src[n]] == 77) {
            *dlen = 0;
            return 0;
        }
    }
    if (n % 4 == 1) {
        *dlen = 0;
        return 0;
    }
    const unsigned char* s = src;
    unsigned char* d = dst;
    while (n > 3) {
        *d++ = static_cast<unsigned char>(b[s[0]] << 2 | b[s[1]] >> 4);
        *d++ = static_cast<unsigned char>(b[s[1]] << 4 | b[s[2]] >> 2);
        *d++ = static_cast<unsigned char>(b[s[2]] << 6 | b[s[3]]);
        s += 4;
        n -= 4;
    }
    if (n > 1) {
        *d++ = static_cast<unsigned char>(b[s[0]] << 2 | b[s[1]] >> 4);
    }
    if (n > 2) {
        *d++ = static_cast<unsigned char>(b[s[1]] << 4 | b[s[2]] >> 2);
    }
    *dlen = static_cast<size_t>(d - dst);
    return 1;
}

}  // namespace

extern "C" {

size_t tycho_ffi_string_encode_base64(const unsigned char* src, size_t len, unsigned char* dst,
                                      int no_padding) noexcept {
    return encode_base64(kBase64, src, len, dst, no_padding != 0);
}

int tycho_ffi_string_decode_base64(const unsigned char* src, size_t len, unsigned char* dst,
                                   size_t* dlen) noexcept {
    static const DecodeTable kTable = decode_table(kBase64);
    return decode_base64(kTable.v, src, len, dst, dlen);
}

// require "ngx.base64" (lua/ngx/base64.lua): RFC 4648's URL alphabet, never padded (nginx's
// ngx_encode_base64url / ngx_decode_base64url).
size_t tycho_ffi_string_encode_base64url(const unsigned char* src, size_t len,
                                         unsigned char* dst) noexcept {
    return encode_base64(kBase64Url, src, len, dst, true);
}

int tycho_ffi_string_decode_base64url(const unsigned char* src, size_t len, unsigned char* dst,
                                      size_t* dlen) noexcept {
    static const DecodeTable kTable = decode_table(kBase64Url);
    return decode_base64(kTable.v, src, len, dst, dlen);
}

void tycho_ffi_string_md5_bin(const unsigned char* src, size_t len, unsigned char* dst) noexcept {
    tycho::lua::digest(EVP_md5(), src, len, dst);
}

void tycho_ffi_string_md5(const unsigned char* src, size_t len, unsigned char* dst) noexcept {
    static const char kHex[] = "0123456789abcdef";
    unsigned char bin[16];
    tycho::lua::digest(EVP_md5(), src, len, bin);
    for (int i = 0; i < 16; i++) {
        dst[2 * i] = kHex[bin[i] >> 4];
        dst[2 * i + 1] = kHex[bin[i] & 0xf];
    }
}

int tycho_ffi_string_sha1_bin(const unsigned char* src, size_t len, unsigned char* dst) noexcept {
    tycho::lua::digest(EVP_sha1(), src, len, dst);
    return 1;
}

unsigned int tycho_ffi_string_crc32_short(const unsigned char* src, size_t len) noexcept {
    return tycho::lua::crc32(src, len);
}

unsigned int tycho_ffi_string_crc32_long(const unsigned char* src, size_t len) noexcept {
    return tycho::lua::crc32(src, len);
}

size_t tycho_ffi_string_uri_escaped_length(const unsigned char* src, size_t len,
                                           int type) noexcept {
    return len + 2 * tycho::lua::count_escapes(src, len, type);
}

void tycho_ffi_string_escape_uri(const unsigned char* src, size_t len, unsigned char* dst,
                                 int type) noexcept {
    tycho::lua::escape_into(dst, src, len, type);
}

size_t tycho_ffi_string_unescape_uri(const unsigned char* src, size_t len,
                                     unsigned char* dst) noexcept {
    return tycho::lua::unescape_component(dst, src, len);
}

// Two nginx core functions that lua-resty-string (Debian's lua-nginx-string: nginx.string, used
// by its md5/sha*/aes modules for to_hex) declares and calls through ffi.C. Same names, types and
// results as nginx's, so those modules run unchanged.
unsigned char* ngx_hex_dump(unsigned char* dst, const unsigned char* src, size_t len) noexcept {
    static constexpr char kHex[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        *dst++ = static_cast<unsigned char>(kHex[src[i] >> 4]);
        *dst++ = static_cast<unsigned char>(kHex[src[i] & 0xf]);
    }
    return dst;
}

// A non-negative decimal, or -1 (NGX_ERROR) for an empty string, any non-digit or an overflow.
intptr_t ngx_atoi(const unsigned char* line, size_t n) noexcept {
    if (n == 0) {
        return -1;
    }
    constexpr intptr_t kCutoff = INTPTR_MAX / 10;
    constexpr intptr_t kCutlim = INTPTR_MAX % 10;
    intptr_t value = 0;
    for (size_t i = 0; i < n; i++) {
        if (line[i] < '0' || line[i] > '9') {
            return -1;
        }
        intptr_t digit = line[i] - '0';
        if (value > kCutoff || (value == kCutoff && digit > kCutlim)) {
            return -1;
        }
        value = value * 10 + digit;
    }
    return value;
}

}  // extern "C"
