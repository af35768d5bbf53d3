/*
 * Avatar Studio's JPEG codec over libjpeg-turbo: a bounded, scaled, cropping decode to RGBA, a lanczos3
 * resize of RGBA, and a baseline encode of RGBA. Built by wasm/jpeg/build.sh; called from
 * src/images/jpeg-codec.ts.
 *
 * Each of the three runs in steps: a `_begin` call sets the work up, and each `_rows` call does a band of
 * rows and answers MORE until the work is done, so that the caller can let other work run in between
 * (a webhook answer on the same thread). One of each may be under way at a time; a `_begin` drops any
 * earlier one left unfinished, and `_cancel` drops it at once.
 *
 * Every libjpeg error, and every libjpeg warning but the harmless ones, ends the call through longjmp
 * with a status the caller turns into a typed refusal: libjpeg would otherwise paint over corrupt or
 * missing entropy data with grey and carry on.
 */
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wasm_simd128.h>

/* The encode's last pass is driven here in steps, as jpeg_finish_compress drives it in one go: that needs libjpeg's internals. */
#define JPEG_INTERNALS
#include "jpeglib.h"
#include "jerror.h"

#define EXPORT __attribute__((used, visibility("default")))

/* Our patch to jdcoefct.c (wasm/jpeg/compact-coef.patch): the region, in full-size pixels, whose
 * coefficients a progressive file keeps once its full buffers would take over half of max_memory
 * (width 0: the whole picture). */
extern int jpeg_compact_region[4];

/* Statuses, as src/images/jpeg-codec.ts reads them. */
enum { OK = 0, UNREADABLE = 1, TOO_COMPLEX = 2, WRONG_GEOMETRY = 3, NO_MEMORY = 4, MORE = 5 };

static char message[JMSG_LENGTH_MAX + 64];
static int status_of_error;
static int max_scans;
static uint8_t *result;
static unsigned long result_size;
static int result_width, result_height;

EXPORT const char *codec_message(void) { return message; }
EXPORT uint8_t *codec_result(void) { return result; }
EXPORT int codec_result_size(void) { return (int)result_size; }
EXPORT int codec_width(void) { return result_width; }
EXPORT int codec_height(void) { return result_height; }
EXPORT void *codec_alloc(int size) { return malloc((size_t)size); }
EXPORT void codec_free(void *pointer) { free(pointer); }

struct failure {
  struct jpeg_error_mgr pub;
  jmp_buf jump;
};

static int status_for(int code) {
  switch (code) {
  case JERR_OUT_OF_MEMORY:
  case JERR_NO_BACKING_STORE:
  case JERR_TFILE_CREATE:
    return TOO_COMPLEX;
  default:
    return UNREADABLE;
  }
}

static void on_error(j_common_ptr cinfo) {
  struct failure *failure = (struct failure *)cinfo->err;
  (*cinfo->err->format_message)(cinfo, message);
  status_of_error = status_for(cinfo->err->msg_code);
  longjmp(failure->jump, 1);
}

/*
 * A warning is libjpeg carrying on past bad data; only notes about metadata are let through. Extraneous
 * bytes before a marker are not: after corrupt entropy data the decoder stops short of the scan's end.
 */
static void on_message(j_common_ptr cinfo, int level) {
  if (level >= 0) return;
  switch (cinfo->err->msg_code) {
  case JWRN_ADOBE_XFORM:
  case JWRN_JFIF_MAJOR:
  case JWRN_BOGUS_ICC:
    return;
  default:
    on_error(cinfo);
  }
}

/* Progressive files can repeat scans without end, each a pass over every block: past a fixed number the file is refused. */
static void on_progress(j_common_ptr cinfo) {
  if (!cinfo->is_decompressor) return;
  j_decompress_ptr d = (j_decompress_ptr)cinfo;
  if (d->input_scan_number > max_scans) {
    snprintf(message, sizeof message, "more than %d scans", max_scans);
    status_of_error = UNREADABLE;
    longjmp(((struct failure *)cinfo->err)->jump, 1);
  }
}

static void fail_with(struct failure *failure, int status, const char *text) {
  snprintf(message, sizeof message, "%s", text);
  status_of_error = status;
  longjmp(failure->jump, 1);
}

/* Adobe CMYK is stored inverted (as Photoshop writes it); plain CMYK is not. */
static void cmyk_to_rgba(const uint8_t *in, uint8_t *out, int width, int inverted) {
  for (int x = 0; x < width; x++, in += 4, out += 4) {
    int c = in[0], m = in[1], y = in[2], k = in[3];
    if (!inverted) {
      c = 255 - c, m = 255 - m, y = 255 - y, k = 255 - k;
    }
    out[0] = (uint8_t)((c * k + 127) / 255);
    out[1] = (uint8_t)((m * k + 127) / 255);
    out[2] = (uint8_t)((y * k + 127) / 255);
    out[3] = 255;
  }
}

/*
 * A progressive file's scans are all read before its first row, by jpeg_start_decompress: in one call,
 * that is hundreds of milliseconds for a large file. So the decode shows libjpeg its input a chunk at a
 * time until then, as a suspending source: libjpeg stops where the chunk ends, keeps its place, and
 * the next step shows it the next chunk. The rows are then read with the whole file in sight.
 */
#define SOURCE_CHUNK 16384

struct stepped_source {
  struct jpeg_source_mgr pub;
  const uint8_t *data;
  size_t size, shown; /* the file, and how much of it libjpeg may read so far */
};

static void source_show(struct stepped_source *src, size_t shown) {
  src->shown = shown < src->size ? shown : src->size;
  src->pub.bytes_in_buffer = (size_t)(src->data + src->shown - src->pub.next_input_byte);
}

static void source_init(j_decompress_ptr cinfo) { (void)cinfo; }
static void source_term(j_decompress_ptr cinfo) { (void)cinfo; }

/* Past what is shown: suspend until the next step shows more. Past the file's end: as jpeg_mem_src does, a warning (a refusal here) and a fake EOI. */
static boolean source_fill(j_decompress_ptr cinfo) {
  static const JOCTET eoi[2] = {(JOCTET)0xFF, (JOCTET)JPEG_EOI};
  struct stepped_source *src = (struct stepped_source *)cinfo->src;
  if (src->shown < src->size) return FALSE;
  WARNMS(cinfo, JWRN_JPEG_EOF);
  src->pub.next_input_byte = eoi;
  src->pub.bytes_in_buffer = 2;
  return TRUE;
}

/* A skipped marker is in memory already: skipping shows the bytes up to its end (never past the file's). */
static void source_skip(j_decompress_ptr cinfo, long count) {
  struct stepped_source *src = (struct stepped_source *)cinfo->src;
  if (count <= 0) return;
  const size_t at = (size_t)(src->pub.next_input_byte - src->data);
  const size_t to = (size_t)count > src->size - at ? src->size : at + (size_t)count;
  src->pub.next_input_byte = src->data + to;
  source_show(src, to > src->shown ? to : src->shown);
}

/* The decode under way: libjpeg's state, and the rows read so far into `out`. */
static struct {
  int active;
  struct jpeg_decompress_struct cinfo;
  struct failure failure;
  struct jpeg_progress_mgr progress;
  struct stepped_source source;
  /* Still in jpeg_start_decompress (a progressive file's scans), and what the rows are then cut to. */
  int starting, scale, region_x, region_y, region_width, region_height;
  uint8_t *row, *out;
  int width, height, skip, cmyk, whole, y;
} dec;

static void decode_release(void) {
  if (dec.active) jpeg_destroy_decompress(&dec.cinfo);
  free(dec.row);
  free(dec.out);
  dec.row = dec.out = NULL;
  dec.active = 0;
}

EXPORT void decode_cancel(void) { decode_release(); }

/*
 * Goes on with jpeg_start_decompress, a chunk of input further; once it is done, shows the whole file and
 * sets up the rows: the region at this scale, the crop, the buffers, the rows skipped above the region.
 * MORE either way (longjmps on a refusal).
 */
static int decode_start(void) {
  j_decompress_ptr cinfo = &dec.cinfo;
  if (!jpeg_start_decompress(cinfo)) return MORE;
  dec.starting = 0;
  source_show(&dec.source, dec.source.size);
  const int scale = dec.scale, region_x = dec.region_x, region_y = dec.region_y;
  const int region_width = dec.region_width, region_height = dec.region_height;
  const int full_width = (int)cinfo->output_width, full_height = (int)cinfo->output_height;
  int x0 = 0, y0 = 0, width = full_width, height = full_height;
  if (region_width > 0 && region_height > 0) {
    /* The region at this scale, rounded outwards, inside the scaled picture. */
    x0 = (int)((int64_t)region_x * scale / 8);
    y0 = (int)((int64_t)region_y * scale / 8);
    int x1 = (int)(((int64_t)(region_x + region_width) * scale + 7) / 8);
    int y1 = (int)(((int64_t)(region_y + region_height) * scale + 7) / 8);
    if (x1 > full_width) x1 = full_width;
    if (y1 > full_height) y1 = full_height;
    if (x0 >= x1 || y0 >= y1) fail_with(&dec.failure, UNREADABLE, "the region is outside the picture");
    width = x1 - x0;
    height = y1 - y0;
  }
  /* libjpeg widens a horizontal crop to whole iMCUs; the rows are cut to the region when copied out. */
  JDIMENSION crop_x = (JDIMENSION)x0, crop_width = (JDIMENSION)width;
  if (width != full_width) jpeg_crop_scanline(cinfo, &crop_x, &crop_width);
  dec.skip = x0 - (int)crop_x;
  dec.out = malloc((size_t)width * height * 4);
  dec.row = malloc((size_t)crop_width * 4);
  if (!dec.out || !dec.row) fail_with(&dec.failure, NO_MEMORY, "out of memory for the picture");
  if (y0 > 0 && (int)jpeg_skip_scanlines(cinfo, (JDIMENSION)y0) != y0)
    fail_with(&dec.failure, UNREADABLE, "rows missing");
  dec.width = width;
  dec.height = height;
  dec.y = 0;
  /* A whole picture is read to its end, so that data missing after the last row is found too. */
  dec.whole = y0 == 0 && height == full_height;
  return MORE;
}

/*
 * Begins decoding `size` bytes at scale `scale`/8 into RGBA, only the region (x, y, width, height) of the
 * stored picture at full scale (width 0: all of it). The header must say expect_width × expect_height;
 * libjpeg's coefficient buffers may take max_memory bytes, and a file may have `scans` scans.
 * `data` must stay in place until the decode ends. Reads the header, and the first chunk of a
 * progressive file's scans. Returns MORE, or a refusal; decode_rows reads on.
 */
EXPORT int decode_begin(const uint8_t *data, int size, int expect_width, int expect_height, int scale, int region_x,
                        int region_y, int region_width, int region_height, int max_memory, int scans) {
  decode_release();
  result = NULL;
  result_size = 0;
  message[0] = 0;
  max_scans = scans;
  dec.cinfo.err = jpeg_std_error(&dec.failure.pub);
  dec.failure.pub.error_exit = on_error;
  dec.failure.pub.emit_message = on_message;
  if (setjmp(dec.failure.jump)) {
    decode_release();
    return status_of_error;
  }
  jpeg_create_decompress(&dec.cinfo);
  dec.active = 1;
  j_decompress_ptr cinfo = &dec.cinfo;
  cinfo->mem->max_memory_to_use = max_memory;
  dec.progress.progress_monitor = on_progress;
  cinfo->progress = &dec.progress;
  /* The header is read with the whole file in sight: its markers (EXIF, ICC) may be longer than a chunk. */
  dec.source.pub.init_source = source_init;
  dec.source.pub.fill_input_buffer = source_fill;
  dec.source.pub.skip_input_data = source_skip;
  dec.source.pub.resync_to_restart = jpeg_resync_to_restart;
  dec.source.pub.term_source = source_term;
  dec.source.data = data;
  dec.source.size = (size_t)size;
  dec.source.pub.next_input_byte = data;
  source_show(&dec.source, (size_t)size);
  cinfo->src = &dec.source.pub;
  jpeg_read_header(cinfo, TRUE);
  if ((int)cinfo->image_width != expect_width || (int)cinfo->image_height != expect_height) {
    snprintf(message, sizeof message, "the frame says %u×%u, the header checks read %d×%d", cinfo->image_width,
             cinfo->image_height, expect_width, expect_height);
    status_of_error = WRONG_GEOMETRY;
    longjmp(dec.failure.jump, 1);
  }
  if (cinfo->num_components > 4) fail_with(&dec.failure, UNREADABLE, "more than 4 components");
  if (scale < 1 || scale > 8) fail_with(&dec.failure, UNREADABLE, "scale out of range");
  dec.cmyk = cinfo->jpeg_color_space == JCS_CMYK || cinfo->jpeg_color_space == JCS_YCCK;
  if (!dec.cmyk && cinfo->num_components != 1 && cinfo->num_components != 3)
    fail_with(&dec.failure, UNREADABLE, "an unknown colour space");
  cinfo->out_color_space = dec.cmyk ? JCS_CMYK : JCS_EXT_RGBA;
  cinfo->scale_num = (unsigned)scale;
  cinfo->scale_denom = 8;
  cinfo->dct_method = JDCT_ISLOW;
  jpeg_compact_region[0] = region_x, jpeg_compact_region[1] = region_y;
  jpeg_compact_region[2] = region_width > 0 && region_height > 0 ? region_width : 0;
  jpeg_compact_region[3] = region_height;
  dec.scale = scale;
  dec.region_x = region_x, dec.region_y = region_y, dec.region_width = region_width, dec.region_height = region_height;
  dec.starting = 1;
  source_show(&dec.source, (size_t)(dec.source.pub.next_input_byte - data) + SOURCE_CHUNK);
  return decode_start();
}

/*
 * Reads the next chunk of a progressive file's scans, or else up to `rows` more rows of the decode under
 * way. Returns MORE while anything is left, a refusal (the decode is then dropped), or OK:
 * codec_result() then holds codec_width() × codec_height() RGBA pixels.
 */
EXPORT int decode_rows(int rows) {
  if (!dec.active) {
    snprintf(message, sizeof message, "no decode under way");
    return UNREADABLE;
  }
  if (setjmp(dec.failure.jump)) {
    decode_release();
    return status_of_error;
  }
  if (dec.starting) {
    source_show(&dec.source, dec.source.shown + SOURCE_CHUNK);
    return decode_start();
  }
  for (int n = 0; n < rows && dec.y < dec.height; n++, dec.y++) {
    JSAMPROW row[1] = {dec.row};
    if (jpeg_read_scanlines(&dec.cinfo, row, 1) != 1) fail_with(&dec.failure, UNREADABLE, "rows missing");
    uint8_t *out = dec.out + (size_t)dec.y * dec.width * 4;
    if (dec.cmyk)
      cmyk_to_rgba(dec.row + dec.skip * 4, out, dec.width, dec.cinfo.saw_Adobe_marker);
    else
      memcpy(out, dec.row + dec.skip * 4, (size_t)dec.width * 4);
  }
  if (dec.y < dec.height) return MORE;
  if (dec.whole)
    jpeg_finish_decompress(&dec.cinfo);
  else
    jpeg_abort_decompress(&dec.cinfo);
  result = dec.out;
  dec.out = NULL;
  result_width = dec.width;
  result_height = dec.height;
  result_size = (unsigned long)dec.width * dec.height * 4;
  decode_release();
  return OK;
}

/* lanczos3 taps of one output pixel, in 1/16384ths, summing to exactly 16384. */
struct taps {
  int first, count;
  int16_t *weights;
};

static double sinc(double x) {
  if (x == 0) return 1;
  x *= 3.14159265358979323846;
  return __builtin_sin(x) / x;
}

/* libvips' reduce: the kernel stretched by the reduction factor, centred on (i + 0.5) × factor − 0.5. */
static struct taps *lanczos_taps(int in, int out, int16_t **storage) {
  const double factor = (double)in / out;
  const double support = 3 * (factor > 1 ? factor : 1);
  const double stretch = factor > 1 ? factor : 1;
  const int span = (int)(2 * support) + 2;
  struct taps *taps = malloc(sizeof(struct taps) * out);
  int16_t *weights = malloc(sizeof(int16_t) * span * out);
  double *raw = malloc(sizeof(double) * span);
  if (!taps || !weights || !raw) {
    free(taps), free(weights), free(raw);
    return NULL;
  }
  for (int i = 0; i < out; i++) {
    const double centre = (i + 0.5) * factor - 0.5;
    int first = (int)__builtin_ceil(centre - support);
    int last = (int)__builtin_floor(centre + support);
    if (first < 0) first = 0;
    if (last > in - 1) last = in - 1;
    int count = last - first + 1;
    if (count > span) count = span;
    double sum = 0;
    for (int k = 0; k < count; k++) {
      const double d = (first + k - centre) / stretch;
      raw[k] = d <= -3 || d >= 3 ? 0 : sinc(d) * sinc(d / 3);
      sum += raw[k];
    }
    int16_t *w = weights + (size_t)i * span;
    int total = 0, biggest = 0;
    for (int k = 0; k < count; k++) {
      w[k] = (int16_t)__builtin_lround(raw[k] / sum * 16384);
      total += w[k];
      if (w[k] > w[biggest]) biggest = k;
    }
    w[biggest] = (int16_t)(w[biggest] + 16384 - total);
    taps[i] = (struct taps){first, count, w};
  }
  free(raw);
  *storage = weights;
  return taps;
}

/* Two weights as the i16 pairs i32x4.dot_i16x8_s multiplies with two pixels' interleaved channels. */
static inline v128_t weight_pair(const int16_t *w) {
  return wasm_i32x4_splat((int32_t)(((uint32_t)(uint16_t)w[1] << 16) | (uint16_t)w[0]));
}

/*
 * The two passes stay functions of one row each, not inlined into resize_rgba (noinline here, and
 * wasm-opt's one-caller inlining limited in build.sh): V8 runs a WASM function's first calls in its
 * baseline tier and uses the optimised code only for later calls, so a resize that was one long call
 * ran all its rows unoptimised in a cold isolate.
 */

/* One output row of the horizontal pass: each RGBA pixel is one i32x4 of sums, two taps per dot product. */
__attribute__((noinline)) static void resize_row(const uint8_t *in, uint8_t *out, const struct taps *taps,
                                                 int out_width) {
  /* [r0 g0 b0 a0 r1 g1 b1 a1] -> i16 [r0 r1 g0 g1 b0 b1 a0 a1] (index 16 is a zero byte). */
  const v128_t pairs = wasm_i8x16_make(0, 16, 4, 16, 1, 16, 5, 16, 2, 16, 6, 16, 3, 16, 7, 16);
  for (int x = 0; x < out_width; x++) {
    const struct taps *t = &taps[x];
    const uint8_t *p = in + (size_t)t->first * 4;
    v128_t sum = wasm_i32x4_splat(8192);
    int k = 0;
    for (; k + 2 <= t->count; k += 2, p += 8) {
      v128_t two = wasm_i8x16_swizzle(wasm_v128_load64_zero(p), pairs);
      sum = wasm_i32x4_add(sum, wasm_i32x4_dot_i16x8(two, weight_pair(t->weights + k)));
    }
    if (k < t->count) {
      v128_t pixel = wasm_u32x4_extend_low_u16x8(wasm_u16x8_extend_low_u8x16(wasm_v128_load32_zero(p)));
      sum = wasm_i32x4_add(sum, wasm_i32x4_mul(pixel, wasm_i32x4_splat(t->weights[k])));
    }
    sum = wasm_i32x4_shr(sum, 14);
    v128_t narrow = wasm_u8x16_narrow_i16x8(wasm_i16x8_narrow_i32x4(sum, sum), wasm_i16x8_splat(0));
    wasm_v128_store32_lane(out + (size_t)x * 4, narrow, 0);
  }
}

/* The vertical pass over one output row, 16 bytes at a time, two rows per dot product. */
__attribute__((noinline)) static void resize_column(uint8_t *const *rows, const int16_t *weights, int count,
                                                    uint8_t *out, int bytes) {
  int i = 0;
  for (; i + 16 <= bytes; i += 16) {
    v128_t s0 = wasm_i32x4_splat(8192), s1 = s0, s2 = s0, s3 = s0;
    int k = 0;
    for (; k + 2 <= count; k += 2) {
      v128_t a = wasm_v128_load(rows[k] + i), b = wasm_v128_load(rows[k + 1] + i);
      v128_t w = weight_pair(weights + k);
      v128_t lo = wasm_i8x16_shuffle(a, b, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
      v128_t hi = wasm_i8x16_shuffle(a, b, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
      s0 = wasm_i32x4_add(s0, wasm_i32x4_dot_i16x8(wasm_u16x8_extend_low_u8x16(lo), w));
      s1 = wasm_i32x4_add(s1, wasm_i32x4_dot_i16x8(wasm_u16x8_extend_high_u8x16(lo), w));
      s2 = wasm_i32x4_add(s2, wasm_i32x4_dot_i16x8(wasm_u16x8_extend_low_u8x16(hi), w));
      s3 = wasm_i32x4_add(s3, wasm_i32x4_dot_i16x8(wasm_u16x8_extend_high_u8x16(hi), w));
    }
    if (k < count) {
      v128_t v = wasm_v128_load(rows[k] + i);
      v128_t w = wasm_i32x4_splat(weights[k]);
      v128_t lo = wasm_u16x8_extend_low_u8x16(v), hi = wasm_u16x8_extend_high_u8x16(v);
      s0 = wasm_i32x4_add(s0, wasm_i32x4_mul(wasm_u32x4_extend_low_u16x8(lo), w));
      s1 = wasm_i32x4_add(s1, wasm_i32x4_mul(wasm_u32x4_extend_high_u16x8(lo), w));
      s2 = wasm_i32x4_add(s2, wasm_i32x4_mul(wasm_u32x4_extend_low_u16x8(hi), w));
      s3 = wasm_i32x4_add(s3, wasm_i32x4_mul(wasm_u32x4_extend_high_u16x8(hi), w));
    }
    v128_t a = wasm_i16x8_narrow_i32x4(wasm_i32x4_shr(s0, 14), wasm_i32x4_shr(s1, 14));
    v128_t b = wasm_i16x8_narrow_i32x4(wasm_i32x4_shr(s2, 14), wasm_i32x4_shr(s3, 14));
    wasm_v128_store(out + i, wasm_u8x16_narrow_i16x8(a, b));
  }
  for (; i < bytes; i++) {
    int32_t sum = 8192;
    for (int k = 0; k < count; k++) sum += rows[k][i] * weights[k];
    sum >>= 14;
    out[i] = (uint8_t)(sum < 0 ? 0 : sum > 255 ? 255 : sum);
  }
}

/*
 * The resize under way. Lanczos3 of an RGBA picture, separable: each needed source row is resized
 * horizontally once, into a ring of rows, and the vertical pass reads the ring. sRGB values, alpha not
 * premultiplied, as libvips does by default.
 */
static struct {
  int active;
  struct taps *h, *v;
  int16_t *h_store, *v_store;
  uint8_t *ring, **rows, *out;
  const uint8_t *in;
  int in_width, out_width, out_height, ring_size;
  int next; /* the next source row to resize horizontally */
  int y;    /* the next output row */
} rsz;

static void resize_release(void) {
  free(rsz.h), free(rsz.v), free(rsz.h_store), free(rsz.v_store), free(rsz.ring), free(rsz.rows), free(rsz.out);
  memset(&rsz, 0, sizeof rsz);
}

EXPORT void resize_cancel(void) { resize_release(); }

/* Begins a resize of `in` (which must stay in place until it ends) to out_width × out_height; MORE or NO_MEMORY. */
EXPORT int resize_begin(const uint8_t *in, int in_width, int in_height, int out_width, int out_height) {
  resize_release();
  result = NULL;
  rsz.h = lanczos_taps(in_width, out_width, &rsz.h_store);
  rsz.v = lanczos_taps(in_height, out_height, &rsz.v_store);
  int ring_size = 0;
  for (int y = 0; rsz.v && y < out_height; y++)
    if (rsz.v[y].count > ring_size) ring_size = rsz.v[y].count;
  ring_size += 1;
  const size_t row_bytes = (size_t)out_width * 4;
  rsz.ring = malloc(row_bytes * ring_size);
  rsz.rows = malloc(sizeof(uint8_t *) * ring_size);
  rsz.out = malloc(row_bytes * out_height);
  if (!rsz.h || !rsz.v || !rsz.ring || !rsz.rows || !rsz.out) {
    resize_release();
    snprintf(message, sizeof message, "out of memory for the resize");
    return NO_MEMORY;
  }
  rsz.active = 1;
  rsz.in = in;
  rsz.in_width = in_width;
  rsz.out_width = out_width;
  rsz.out_height = out_height;
  rsz.ring_size = ring_size;
  return MORE;
}

/* Makes up to `rows` more output rows; MORE while some are left, else OK with the picture in codec_result(). */
EXPORT int resize_rows(int rows) {
  if (!rsz.active) {
    snprintf(message, sizeof message, "no resize under way");
    return UNREADABLE;
  }
  const size_t row_bytes = (size_t)rsz.out_width * 4;
  for (int n = 0; n < rows && rsz.y < rsz.out_height; n++, rsz.y++) {
    const struct taps *t = &rsz.v[rsz.y];
    for (; rsz.next < t->first + t->count; rsz.next++)
      resize_row(rsz.in + (size_t)rsz.next * rsz.in_width * 4, rsz.ring + (size_t)(rsz.next % rsz.ring_size) * row_bytes,
                 rsz.h, rsz.out_width);
    for (int k = 0; k < t->count; k++) rsz.rows[k] = rsz.ring + (size_t)((t->first + k) % rsz.ring_size) * row_bytes;
    resize_column(rsz.rows, t->weights, t->count, rsz.out + (size_t)rsz.y * row_bytes, (int)row_bytes);
  }
  if (rsz.y < rsz.out_height) return MORE;
  result = rsz.out;
  result_width = rsz.out_width;
  result_height = rsz.out_height;
  result_size = row_bytes * rsz.out_height;
  rsz.out = NULL;
  resize_release();
  return OK;
}

/* The encode under way: a baseline JPEG of an RGBA picture, 4:2:0, with optimised Huffman tables; no trellis. */
static struct {
  int active;
  struct jpeg_compress_struct cinfo;
  struct failure failure;
  unsigned char *buffer;
  unsigned long size;
  const uint8_t *rgba;
  int width;
  /* After the last row: whether the first pass has been ended, a later pass is under way, and its next iMCU row. */
  int finishing, in_pass;
  JDIMENSION imcu_row;
} enc;

/*
 * `unfinished`: the encode stopped part-way. libjpeg's memory destination moves its output to a bigger
 * buffer as it grows and says where only when it ends, so it is ended first: `enc.buffer` may be gone.
 */
static void encode_release(int unfinished) {
  if (enc.active) {
    if (unfinished && enc.cinfo.dest) (*enc.cinfo.dest->term_destination)((j_compress_ptr)&enc.cinfo);
    jpeg_destroy_compress(&enc.cinfo);
  }
  free(enc.buffer);
  enc.buffer = NULL;
  enc.size = 0;
  enc.active = 0;
}

EXPORT void encode_cancel(void) { encode_release(1); }

/* Begins encoding `rgba` (which must stay in place until it ends) at `quality`; MORE, or a refusal. */
EXPORT int encode_begin(const uint8_t *rgba, int width, int height, int quality) {
  encode_release(1);
  result = NULL;
  enc.cinfo.err = jpeg_std_error(&enc.failure.pub);
  enc.failure.pub.error_exit = on_error;
  if (setjmp(enc.failure.jump)) {
    encode_release(1);
    return status_of_error;
  }
  jpeg_create_compress(&enc.cinfo);
  enc.active = 1;
  jpeg_mem_dest(&enc.cinfo, &enc.buffer, &enc.size);
  enc.cinfo.image_width = (JDIMENSION)width;
  enc.cinfo.image_height = (JDIMENSION)height;
  enc.cinfo.input_components = 4;
  enc.cinfo.in_color_space = JCS_EXT_RGBA;
  jpeg_set_defaults(&enc.cinfo);
  jpeg_set_quality(&enc.cinfo, quality, TRUE);
  enc.cinfo.optimize_coding = TRUE;
  enc.cinfo.dct_method = JDCT_ISLOW;
  jpeg_start_compress(&enc.cinfo, TRUE);
  enc.rgba = rgba;
  enc.width = width;
  enc.finishing = enc.in_pass = 0;
  enc.imcu_row = 0;
  return MORE;
}

/*
 * Compresses up to `rows` more rows; once all are in, the later calls write the file (the Huffman pass
 * over the stored coefficients), about `rows` rows' worth of iMCU rows each, as jpeg_finish_compress
 * (jcapimin.c) would in one call. MORE until then; OK with the file in codec_result() and codec_result_size().
 */
EXPORT int encode_rows(int rows) {
  if (!enc.active) {
    snprintf(message, sizeof message, "no encode under way");
    return UNREADABLE;
  }
  if (setjmp(enc.failure.jump)) {
    encode_release(1);
    return status_of_error;
  }
  j_compress_ptr cinfo = &enc.cinfo;
  if (cinfo->next_scanline < cinfo->image_height) {
    for (int n = 0; n < rows && cinfo->next_scanline < cinfo->image_height; n++) {
      JSAMPROW row = (JSAMPROW)(enc.rgba + (size_t)cinfo->next_scanline * enc.width * 4);
      jpeg_write_scanlines(cinfo, &row, 1);
    }
    return MORE;
  }
  if (!enc.finishing) {
    if (cinfo->global_state != CSTATE_SCANNING) ERREXIT1(cinfo, JERR_BAD_STATE, cinfo->global_state);
    (*cinfo->master->finish_pass)(cinfo);
    enc.finishing = 1;
  }
  const int imcu_height = cinfo->max_v_samp_factor * DCTSIZE;
  const int imcu_rows = rows / imcu_height > 0 ? rows / imcu_height : 1;
  if (enc.in_pass || !cinfo->master->is_last_pass) {
    if (!enc.in_pass) {
      (*cinfo->master->prepare_for_pass)(cinfo);
      enc.in_pass = 1;
      enc.imcu_row = 0;
    }
    /* The coefficient controller is called directly: all the work is done from its buffer. */
    for (int n = 0; n < imcu_rows && enc.imcu_row < cinfo->total_iMCU_rows; n++, enc.imcu_row++)
      if (!(*cinfo->coef->compress_data)(cinfo, (JSAMPIMAGE)NULL)) ERREXIT(cinfo, JERR_CANT_SUSPEND);
    if (enc.imcu_row < cinfo->total_iMCU_rows) return MORE;
    (*cinfo->master->finish_pass)(cinfo);
    enc.in_pass = 0;
    if (!cinfo->master->is_last_pass) return MORE;
  }
  (*cinfo->marker->write_file_trailer)(cinfo);
  (*cinfo->dest->term_destination)(cinfo);
  jpeg_abort((j_common_ptr)cinfo);
  result = enc.buffer;
  result_size = enc.size;
  result_width = (int)cinfo->image_width;
  result_height = (int)cinfo->image_height;
  enc.buffer = NULL;
  encode_release(0);
  return OK;
}

/*
 * What src/images/quality.ts and dhash.ts need from a photo's RGBA thumbnail, in the arithmetic they
 * used when they read the pixels in JS (luma in doubles, kept as floats for the variance and the
 * Laplacian; cell sums in doubles, row by row), so scores and hashes are what they were:
 * out[0] luma sum, out[1] clipped pixels (luma under 5 or over 250), out[2] the sum of squared
 * deviations from the mean, out[3] and out[4] the Laplacian's sum and sum of squares, out[5] its
 * count, out[6 + cell] the mean grey of each of the 9×8 cells of the difference hash.
 * Returns a status; NO_MEMORY when the luma plane cannot be had.
 */
#define HASH_COLUMNS 9
#define HASH_ROWS 8
EXPORT int photo_stats(const uint8_t *rgba, int width, int height, double *out) {
  const int count = width * height;
  float *luma = malloc((size_t)(count > 0 ? count : 1) * sizeof(float));
  if (!luma) return NO_MEMORY;
  double sum = 0, clipped = 0;
  for (int i = 0; i < count; i++) {
    const uint8_t *p = rgba + (size_t)i * 4;
    const double y = 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
    luma[i] = (float)y;
    sum += y;
    if (y < 5 || y > 250) clipped += 1;
  }
  const double mean = sum / count;
  double variance = 0;
  for (int i = 0; i < count; i++) {
    const double d = (double)luma[i] - mean;
    variance += d * d;
  }
  double lap_sum = 0, lap_sq = 0, n = 0;
  for (int y = 1; y < height - 1; y++) {
    for (int i = y * width + 1, end = y * width + width - 1; i < end; i++) {
      const double lap = 4 * (double)luma[i] - (double)luma[i - 1] - (double)luma[i + 1] - (double)luma[i - width] -
                         (double)luma[i + width];
      lap_sum += lap;
      lap_sq += lap * lap;
      n += 1;
    }
  }
  free(luma);
  double cells[HASH_COLUMNS * HASH_ROWS] = {0};
  int counts[HASH_COLUMNS * HASH_ROWS] = {0};
  for (int y = 0; y < height; y++) {
    int row = (int)(((int64_t)y * HASH_ROWS) / height);
    if (row > HASH_ROWS - 1) row = HASH_ROWS - 1;
    for (int x = 0; x < width; x++) {
      int column = (int)(((int64_t)x * HASH_COLUMNS) / width);
      if (column > HASH_COLUMNS - 1) column = HASH_COLUMNS - 1;
      const int cell = row * HASH_COLUMNS + column;
      const uint8_t *p = rgba + ((size_t)y * width + x) * 4;
      cells[cell] = cells[cell] + 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
      counts[cell] += 1;
    }
  }
  out[0] = sum, out[1] = clipped, out[2] = variance, out[3] = lap_sum, out[4] = lap_sq, out[5] = n;
  for (int cell = 0; cell < HASH_COLUMNS * HASH_ROWS; cell++) out[6 + cell] = cells[cell] / (counts[cell] > 0 ? counts[cell] : 1);
  return OK;
}
