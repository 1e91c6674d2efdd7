/* Records the fixture sequences of tests/datapath_libesmtp_*.txt against the
 * real libESMTP 1.1.0 (see tests/datapath_record.py). Build: cc -o probe2
 * datapath_record.c -lesmtp. Usage: probe2 HOST:PORT HEXINPUT PIECE */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <libesmtp.h>
static unsigned char *text; static int tlen, chunk, pos;
static int pending_gen = -1;
static void flush_ev(void) { }
static const char *cb(void **ctx, int *len, void *arg) {
  (void)arg; (void)ctx;
  if (!len) { pos = 0; printf("rewind"); return NULL; }
  int n = tlen - pos; if (chunk > 0 && n > chunk) n = chunk;
  *len = n; pos += n; printf(" r%d", n);
  return n > 0 ? (char *)text + pos - n : "";
}
static int last_len;
static void ev(smtp_session_t s, int e, void *arg, ...) { (void)s;
  if (e == SMTP_EV_MESSAGEDATA) { va_list ap; va_start(ap, arg); va_arg(ap, void*); last_len = va_arg(ap, int); va_end(ap); printf(" ev%d", last_len); } }
static void mon(const char *buf, int len, int writing, void *arg) { (void)arg;
  if (writing != 2) return;
  int gen = (len >= 6 && !memcmp(buf, "Date: ", 6)) || (len >= 9 && !memcmp(buf, "From: a@x", 9)) || (len >= 11 && !memcmp(buf, "Message-Id:", 11));
  printf(gen ? " G" : " H");
}
int main(int argc, char **argv) {
  /* probe2 HOST:PORT HEXTEXT CHUNK */
  const char *h = argv[2]; tlen = strlen(h) / 2; text = malloc(tlen + 1);
  for (int i = 0; i < tlen; i++) { unsigned v; sscanf(h + 2*i, "%2x", &v); text[i] = v; }
  chunk = atoi(argv[3]);
  smtp_session_t s = smtp_create_session();
  smtp_set_server(s, argv[1]); smtp_set_hostname(s, "client.example");
  smtp_set_eventcb(s, ev, NULL); smtp_set_monitorcb(s, mon, NULL, 1);
  smtp_message_t m = smtp_add_message(s);
  smtp_set_reverse_path(m, "a@x"); smtp_add_recipient(m, "b@x");
  smtp_set_header(m, "Message-Id", "fixed@x");
  smtp_set_messagecb(m, cb, NULL);
  smtp_start_session(s);
  printf("\n");
  (void)flush_ev; (void)pending_gen;
  return 0; }
