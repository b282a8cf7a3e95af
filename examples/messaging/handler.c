/* examples/messaging/handler.c: a wasmcloud:messaging/handler@0.2.0
 * component in C, canonical ABI by hand (no libc, no adapter), world
 * `handler` of wit/world.wit.
 *
 * For each message the messaging provider delivers it publishes the body
 * uppercased, through its wasmcloud:messaging/consumer import: to the
 * message's reply-to when it has one (so a NATS request on a subscribed
 * subject gets an answer), else to "handled.SUBJECT".  A body of "fail"
 * is answered with an error result instead.
 *
 *   lattice start provider wasmcloud+builtin://messaging-nats nats
 *   lattice start component file://build/examples/messaging_handler.component.wasm echo
 *   lattice config put echo-subs subscriptions=demo.echo
 *   lattice link put nats echo wasmcloud messaging --interface handler --source-config echo-subs
 *   lattice link put echo nats wasmcloud messaging --interface consumer
 *   nats req demo.echo hello      # HELLO */
#include <stdint.h>

typedef uint32_t u32;

extern unsigned char __heap_base;
static uintptr_t heap_top;

__attribute__((export_name("cabi_realloc")))
void *cabi_realloc(void *old, u32 old_size, u32 align, u32 new_size) {
  if (!heap_top) heap_top = (uintptr_t)&__heap_base;
  uintptr_t p = (heap_top + align - 1) & ~(uintptr_t)(align - 1);
  uintptr_t end = p + (new_size ? new_size : 1);
  uintptr_t have = __builtin_wasm_memory_size(0) * 65536u;
  if (end > have && __builtin_wasm_memory_grow(0, (end - have + 65535) / 65536) == (__SIZE_TYPE__)-1)
    __builtin_trap();
  heap_top = end;
  unsigned char *d = (unsigned char *)p;
  const unsigned char *s = old;
  for (u32 i = 0; old && i < old_size && i < new_size; i++) d[i] = s[i];
  return d;
}

/* publish(msg: broker-message) -> result<_, string>: the record flattened
 * (subject, body, reply-to as disc/ptr/len), then the result's address */
__attribute__((import_module("wasmcloud:messaging/consumer@0.2.0"), import_name("publish")))
void consumer_publish(const char *subj, u32 sl, const unsigned char *body, u32 bl, u32 has_reply,
                      const char *reply, u32 rl, u32 *ret);

static u32 ret[4] __attribute__((aligned(8)));
/* handle-message's result<_, string>: the discriminant, then the string */
static u32 result[3] __attribute__((aligned(8)));

static const char fail_msg[] = "asked to fail";

__attribute__((export_name("wasmcloud:messaging/handler@0.2.0#handle-message")))
u32 *handle_message(const char *subj, u32 sl, unsigned char *body, u32 bl, u32 has_reply,
                    const char *reply, u32 rl) {
  if (bl == 4 && body[0] == 'f' && body[1] == 'a' && body[2] == 'i' && body[3] == 'l') {
    result[0] = 1;
    result[1] = (u32)(uintptr_t)fail_msg;
    result[2] = sizeof fail_msg - 1;
    return result;
  }
  for (u32 i = 0; i < bl; i++) /* the body is ours: the host copied it in */
    if (body[i] >= 'a' && body[i] <= 'z') body[i] = (unsigned char)(body[i] - 'a' + 'A');
  if (has_reply & 1) {
    consumer_publish(reply, rl, body, bl, 0, 0, 0, ret);
  } else {
    static const char pre[] = "handled.";
    char *to = cabi_realloc(0, 0, 1, sizeof pre - 1 + sl);
    for (u32 i = 0; i < sizeof pre - 1; i++) to[i] = pre[i];
    for (u32 i = 0; i < sl; i++) to[sizeof pre - 1 + i] = subj[i];
    consumer_publish(to, sizeof pre - 1 + sl, body, bl, 0, 0, 0, ret);
  }
  result[0] = ret[0] & 0xff; /* the publish's own error, passed on */
  result[1] = ret[1];
  result[2] = ret[2];
  return result;
}
