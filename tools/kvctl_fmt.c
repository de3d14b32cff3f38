// SPDX-License-Identifier: GPL-2.0
/*
 * kvctl: keys and values in and out - hex, base64, escaped text, JSON -
 * and the parsing of numbers and files.
 *
 * Text output escapes what a terminal or a line-based reader would
 * misread: bytes that are not printable ASCII or valid UTF-8, backslash,
 * tab and newline become \\, \t, \n, \r or \xHH. JSON output writes
 * text as strings when it is valid UTF-8; data that is not is written as
 * base64 under the field name with "_base64" appended, so a JSON reader
 * never gets an ambiguous string. With --hex or --base64 every key and
 * value is in that encoding, in text and JSON alike.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "kvctl.h"

static const char kvctl_b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void kvctl_buf_free(struct kvctl_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = 0;
}

static int kvctl_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int kvctl_b64val(int c)
{
	const char *p = c ? strchr(kvctl_b64, c) : NULL;

	return p ? (int)(p - kvctl_b64) : -1;
}

static int kvctl_unhex(const char *s, size_t n, unsigned char *out)
{
	size_t i;

	if (n % 2)
		return -1;
	for (i = 0; i < n; i += 2) {
		int hi = kvctl_hexval(s[i]), lo = kvctl_hexval(s[i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i / 2] = hi << 4 | lo;
	}
	return (int)(n / 2);
}

/* Standard base64; the padding may be left out. Return: bytes or -1. */
static long kvctl_unbase64(const char *s, size_t n, unsigned char *out)
{
	unsigned int acc = 0, bits = 0;
	size_t i, len = 0, pad = 0;

	while (n && s[n - 1] == '=' && pad < 2) {
		n--;
		pad++;
	}
	if (pad && (n + pad) % 4)
		return -1;
	if (n % 4 == 1)
		return -1;
	for (i = 0; i < n; i++) {
		int v = kvctl_b64val((unsigned char)s[i]);

		if (v < 0)
			return -1;
		acc = acc << 6 | v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[len++] = acc >> bits;
			acc &= (1u << bits) - 1;
		}
	}
	/* Leftover bits must be zero, so every string has one meaning. */
	return acc ? -1 : (long)len;
}

/**
 * kvctl_decode() - a key or value from the command line, per --hex/--base64
 * @s: the argument
 * @b: out: the bytes (freed by the caller)
 * @what: "key", "value", ... for the message
 *
 * Return: 0, or KVCTL_EXIT_USAGE after a message.
 */
int kvctl_decode(const char *s, struct kvctl_buf *b, const char *what)
{
	size_t n = strlen(s);
	long len;

	b->p = malloc(n + 1);
	if (!b->p) {
		kvctl_err("out of memory");
		return ENOMEM;
	}
	switch (kvctl_enc) {
	case KVCTL_ENC_HEX:
		len = kvctl_unhex(s, n, b->p);
		if (len < 0) {
			kvctl_err("%s '%s' is not valid hex (--hex: two digits a byte)",
				  what, s);
			goto bad;
		}
		break;
	case KVCTL_ENC_BASE64:
		len = kvctl_unbase64(s, n, b->p);
		if (len < 0) {
			kvctl_err("%s '%s' is not valid base64 (--base64)", what, s);
			goto bad;
		}
		break;
	default:
		memcpy(b->p, s, n);
		len = n;
	}
	b->len = len;
	return 0;
bad:
	kvctl_buf_free(b);
	return KVCTL_EXIT_USAGE;
}

/*
 * kvctl_read_file() - all of @path ("-": stdin) as raw bytes.
 * Return: 0, or an exit status after a message.
 */
int kvctl_read_file(const char *path, struct kvctl_buf *b)
{
	int fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : 0;
	size_t cap = 4096;
	ssize_t n;
	int err;

	if (fd < 0) {
		err = errno;
		kvctl_err("cannot open %s: %s", path, strerror(err));
		return kvctl_exit_code(err);
	}
	b->len = 0;
	b->p = malloc(cap);
	err = b->p ? 0 : ENOMEM;
	while (!err) {
		if (b->len == cap) {
			unsigned char *p = realloc(b->p, cap * 2);

			if (!p) {
				err = ENOMEM;
				break;
			}
			b->p = p;
			cap *= 2;
		}
		n = read(fd, b->p + b->len, cap - b->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			err = errno;
		if (n <= 0)
			break;
		b->len += n;
	}
	if (fd)
		close(fd);
	if (err) {
		kvctl_err("cannot read %s: %s", strcmp(path, "-") ? path : "stdin",
			  strerror(err));
		kvctl_buf_free(b);
		return kvctl_exit_code(err);
	}
	return 0;
}

/* Bytes of the valid UTF-8 sequence at @p, or 0 if there is none. */
static size_t kvctl_utf8_seq(const unsigned char *p, size_t n)
{
	unsigned int c, min;
	size_t len, i;

	if (p[0] < 0x80)
		return 1;
	if ((p[0] & 0xe0) == 0xc0) {
		len = 2;
		c = p[0] & 0x1f;
		min = 0x80;
	} else if ((p[0] & 0xf0) == 0xe0) {
		len = 3;
		c = p[0] & 0x0f;
		min = 0x800;
	} else if ((p[0] & 0xf8) == 0xf0) {
		len = 4;
		c = p[0] & 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	return len;
}

static int kvctl_is_utf8(const unsigned char *p, size_t n)
{
	size_t i, l;

	for (i = 0; i < n; i += l) {
		l = kvctl_utf8_seq(p + i, n - i);
		if (!l)
			return 0;
	}
	return 1;
}

static void kvctl_put_hex(FILE *f, const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		fprintf(f, "%02x", p[i]);
}

static void kvctl_put_base64(FILE *f, const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		unsigned int v = p[i] << 16 | p[i + 1] << 8 | p[i + 2];

		fputc(kvctl_b64[v >> 18], f);
		fputc(kvctl_b64[(v >> 12) & 63], f);
		fputc(kvctl_b64[(v >> 6) & 63], f);
		fputc(kvctl_b64[v & 63], f);
	}
	if (n - i == 1) {
		fputc(kvctl_b64[p[i] >> 2], f);
		fputc(kvctl_b64[(p[i] & 3) << 4], f);
		fputs("==", f);
	} else if (n - i == 2) {
		unsigned int v = p[i] << 8 | p[i + 1];

		fputc(kvctl_b64[v >> 10], f);
		fputc(kvctl_b64[(v >> 4) & 63], f);
		fputc(kvctl_b64[(v << 2) & 63], f);
		fputc('=', f);
	}
}

/* Escaped text: printable ASCII and UTF-8 as they are, the rest \-escaped. */
static void kvctl_put_escaped(FILE *f, const unsigned char *p, size_t n)
{
	size_t i, l;

	for (i = 0; i < n; i += l) {
		l = kvctl_utf8_seq(p + i, n - i);
		/* C1 controls (U+0080..U+009F) are escaped too. */
		if (l == 2 && p[i] == 0xc2 && p[i + 1] < 0xa0)
			l = 0;
		if (l > 1) {
			fwrite(p + i, 1, l, f);
			continue;
		}
		l = 1;
		switch (p[i]) {
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		default:
			if (p[i] >= 0x20 && p[i] < 0x7f)
				fputc(p[i], f);
			else
				fprintf(f, "\\x%02x", p[i]);
		}
	}
}

/* kvctl_print_data() - a key or value in human output, per the encoding. */
void kvctl_print_data(FILE *f, const void *p, size_t len)
{
	switch (kvctl_enc) {
	case KVCTL_ENC_HEX:
		kvctl_put_hex(f, p, len);
		break;
	case KVCTL_ENC_BASE64:
		kvctl_put_base64(f, p, len);
		break;
	default:
		kvctl_put_escaped(f, p, len);
	}
}

#define KVCTL_SHOW_MAX	48	/* bytes of a key shown in a message */

/*
 * kvctl_show() - a key for a message, as kvctl_print_data() writes it,
 * cut after KVCTL_SHOW_MAX bytes. The string lives until the fourth call
 * after this one.
 */
const char *kvctl_show(const void *p, size_t len)
{
	static char *ring[4];
	static unsigned int next;
	char **s = &ring[next++ % 4];
	size_t sz;
	FILE *f;

	free(*s);
	*s = NULL;
	f = open_memstream(s, &sz);
	if (!f)
		return "?";
	kvctl_print_data(f, p, len > KVCTL_SHOW_MAX ? KVCTL_SHOW_MAX : len);
	if (len > KVCTL_SHOW_MAX)
		fprintf(f, "... (%zu bytes)", len);
	fclose(f);
	return *s ? *s : "?";
}

static void kvctl_json_bytes(FILE *f, const unsigned char *p, size_t n)
{
	size_t i;

	fputc('"', f);
	for (i = 0; i < n; i++) {
		unsigned char c = p[i];

		switch (c) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		default:
			if (c < 0x20 || c == 0x7f)
				fprintf(f, "\\u%04x", c);
			else
				fputc(c, f);
		}
	}
	fputc('"', f);
}

/* kvctl_json_str() - a C string (names, messages) as a JSON string. */
void kvctl_json_str(FILE *f, const char *s)
{
	if (kvctl_is_utf8((const unsigned char *)s, strlen(s)))
		kvctl_json_bytes(f, (const unsigned char *)s, strlen(s));
	else
		fputs("\"?\"", f);
}

/*
 * kvctl_json_data() - "@field":"..." for a key or value: in the encoding
 * of --hex or --base64; else a string if it is valid UTF-8, else as
 * "@field_base64":"...".
 */
void kvctl_json_data(FILE *f, const char *field, const void *p, size_t len)
{
	switch (kvctl_enc) {
	case KVCTL_ENC_HEX:
		fprintf(f, "\"%s\":\"", field);
		kvctl_put_hex(f, p, len);
		fputc('"', f);
		break;
	case KVCTL_ENC_BASE64:
		fprintf(f, "\"%s\":\"", field);
		kvctl_put_base64(f, p, len);
		fputc('"', f);
		break;
	default:
		if (kvctl_is_utf8(p, len)) {
			fprintf(f, "\"%s\":", field);
			kvctl_json_bytes(f, p, len);
		} else {
			fprintf(f, "\"%s_base64\":\"", field);
			kvctl_put_base64(f, p, len);
			fputc('"', f);
		}
	}
}

/*
 * kvctl_parse_u64() - a decimal number; with @sizes, also with a K, M, G
 * or T suffix (powers of 1024). Return: 0, or -EINVAL / -ERANGE.
 */
int kvctl_parse_u64(const char *s, uint64_t *v, int sizes)
{
	unsigned long long n;
	unsigned int shift = 0;
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno)
		return -ERANGE;
	if (sizes && *end) {
		switch (*end) {
		case 'k': case 'K':
			shift = 10;
			break;
		case 'm': case 'M':
			shift = 20;
			break;
		case 'g': case 'G':
			shift = 30;
			break;
		case 't': case 'T':
			shift = 40;
			break;
		default:
			return -EINVAL;
		}
		end++;
		if (*end == 'i' || *end == 'I')
			end++;
		if (*end == 'b' || *end == 'B')
			end++;
	}
	if (*end)
		return -EINVAL;
	if (shift && n > (~0ULL >> shift))
		return -ERANGE;
	*v = n << shift;
	return 0;
}
