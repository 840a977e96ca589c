/*
 * Node binding of g722_core.h: encode(state, pcm, from, count, out, at) and decode(state, bytes,
 * out) over the caller's typed arrays (no copies), with the bounds checked here so that a wrong
 * call throws instead of writing past an array. `slots` lets the loader refuse a build whose
 * state layout differs from src/g722.ts.
 */
#include <node_api.h>
#include "g722_core.h"

static int typed_array(napi_env env, napi_value value, napi_typedarray_type want, void **data, size_t *length) {
  bool is = false;
  if (napi_is_typedarray(env, value, &is) != napi_ok || !is) return 0;
  napi_typedarray_type type;
  napi_value buffer;
  size_t offset;
  if (napi_get_typedarray_info(env, value, &type, length, data, &buffer, &offset) != napi_ok) return 0;
  return type == want;
}

static int index_arg(napi_env env, napi_value value, size_t *out) {
  int64_t v;
  if (napi_get_value_int64(env, value, &v) != napi_ok || v < 0) return 0;
  *out = (size_t)v;
  return 1;
}

static napi_value fail(napi_env env, const char *message) {
  napi_throw_range_error(env, NULL, message);
  return NULL;
}

static napi_value encode(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  void *state, *pcm, *out;
  size_t state_len, pcm_len, out_len, from, count, at;
  if (argc < 6 || !typed_array(env, argv[0], napi_int32_array, &state, &state_len) || state_len != CODEC_STATE_SLOTS ||
      !typed_array(env, argv[1], napi_int16_array, &pcm, &pcm_len) || !index_arg(env, argv[2], &from) ||
      !index_arg(env, argv[3], &count) || !typed_array(env, argv[4], napi_uint8_array, &out, &out_len) ||
      !index_arg(env, argv[5], &at))
    return fail(env, "g722 encode(state: Int32Array, pcm: Int16Array, from, count, out: Uint8Array, at)");
  if (count % 2 != 0 || from > pcm_len || count > pcm_len - from || at > out_len || count / 2 > out_len - at)
    return fail(env, "g722 encode: out of bounds");
  g722_encode((int32_t *)state, (const int16_t *)pcm + from, count, (uint8_t *)out + at);
  return NULL;
}

static napi_value decode(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  void *state, *bytes, *out;
  size_t state_len, bytes_len, out_len;
  if (argc < 3 || !typed_array(env, argv[0], napi_int32_array, &state, &state_len) || state_len != CODEC_STATE_SLOTS ||
      !typed_array(env, argv[1], napi_uint8_array, &bytes, &bytes_len) ||
      !typed_array(env, argv[2], napi_int16_array, &out, &out_len))
    return fail(env, "g722 decode(state: Int32Array, bytes: Uint8Array, out: Int16Array)");
  if (out_len / 2 < bytes_len) return fail(env, "g722 decode: out of bounds");
  g722_decode((int32_t *)state, (const uint8_t *)bytes, bytes_len, (int16_t *)out);
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn, slots;
  napi_create_function(env, "encode", NAPI_AUTO_LENGTH, encode, NULL, &fn);
  napi_set_named_property(env, exports, "encode", fn);
  napi_create_function(env, "decode", NAPI_AUTO_LENGTH, decode, NULL, &fn);
  napi_set_named_property(env, exports, "decode", fn);
  napi_create_uint32(env, CODEC_STATE_SLOTS, &slots);
  napi_set_named_property(env, exports, "slots", slots);
  return exports;
}

NAPI_MODULE_INIT() { return init(env, exports); }
