// The project's entry points into libwebp's decoder (built by wasm/webp/build.sh). One call decodes a
// still WEBP straight to the size a caller needs: an optional crop rectangle in source pixels, then
// libwebp's own scaler, RGBA out. The output buffer stays in the module's memory until webp_free.
#include <stdint.h>
#include <stdlib.h>

#include "src/webp/decode.h"

static WebPDecoderConfig config;
static int configured = 0;

// Reads the bitstream's features: out[0..3] = width, height, has_alpha, is_lossless (format 2).
// Returns the VP8StatusCode (0 is OK).
int webp_features(const uint8_t* data, size_t size, int* out) {
  WebPBitstreamFeatures features;
  const VP8StatusCode status = WebPGetFeatures(data, size, &features);
  if (status != VP8_STATUS_OK) return status;
  out[0] = features.width;
  out[1] = features.height;
  out[2] = features.has_alpha;
  out[3] = features.format == 2;
  return features.has_animation ? VP8_STATUS_UNSUPPORTED_FEATURE : VP8_STATUS_OK;
}

// Decodes the crop (crop_width 0: the whole picture) scaled to out_width × out_height as RGBA.
// Returns the VP8StatusCode; on success webp_output() is the first pixel, 4 bytes each, rows packed.
int webp_decode(const uint8_t* data, size_t size, int crop_left, int crop_top, int crop_width, int crop_height,
                int out_width, int out_height) {
  if (configured) WebPFreeDecBuffer(&config.output);
  if (!WebPInitDecoderConfig(&config)) return VP8_STATUS_INVALID_PARAM;
  configured = 1;
  if (crop_width > 0) {
    config.options.use_cropping = 1;
    config.options.crop_left = crop_left;
    config.options.crop_top = crop_top;
    config.options.crop_width = crop_width;
    config.options.crop_height = crop_height;
  }
  config.options.use_scaling = 1;
  config.options.scaled_width = out_width;
  config.options.scaled_height = out_height;
  // One thread; no dithering, so the output depends on the bytes alone.
  config.options.use_threads = 0;
  VP8StatusCode status = WebPGetFeatures(data, size, &config.input);
  if (status != VP8_STATUS_OK) return status;
  if (config.input.has_animation) return VP8_STATUS_UNSUPPORTED_FEATURE;
  // With alpha, premultiplied (libwebp then scales colour weighted by coverage), to composite over white.
  config.output.colorspace = config.input.has_alpha ? MODE_rgbA : MODE_RGBA;
  status = WebPDecode(data, size, &config);
  if (status != VP8_STATUS_OK) return status;
  if (config.output.width != out_width || config.output.height != out_height ||
      config.output.u.RGBA.stride != out_width * 4) {
    return VP8_STATUS_BITSTREAM_ERROR;
  }
  if (config.input.has_alpha) {
    // Over white, as the PNG decoder composites: a premultiplied colour plus white times (1 - alpha).
    uint8_t* pixel = config.output.u.RGBA.rgba;
    for (size_t i = 0, n = (size_t)out_width * out_height; i < n; ++i, pixel += 4) {
      const int rest = 255 - pixel[3];
      for (int c = 0; c < 3; ++c) pixel[c] = pixel[c] + rest > 255 ? 255 : pixel[c] + rest;
      pixel[3] = 255;
    }
  }
  return VP8_STATUS_OK;
}

uint8_t* webp_output(void) { return configured ? config.output.u.RGBA.rgba : NULL; }

void webp_free(void) {
  if (configured) WebPFreeDecBuffer(&config.output);
  configured = 0;
}
