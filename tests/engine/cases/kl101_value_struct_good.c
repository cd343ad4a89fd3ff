/* Structs on the stack that carry a pointer somewhere else: once the struct's address is
 * stored in a request that is handed over, what it points to goes along. */

struct vs_cb { void *private_data; void (*private_free)(void *p); };
struct vs_info { struct vs_cb *kernel; int port; };
struct vs_port { int port; int connect; };

int vs_client_ctl(int client, struct vs_info *info);

/* The port record becomes the client's (its private_free frees it) once the request that
 * points at cb succeeds; returning it does not make it this function's to free. */
static struct vs_port *vs_create_port(int client)
{
	struct vs_port *rec;
	struct vs_cb cb;
	struct vs_info info;

	rec = kzalloc(sizeof(*rec), GFP_KERNEL);
	if (!rec)
		return NULL;
	cb.private_data = rec;
	cb.private_free = kfree;
	info.kernel = &cb;
	if (vs_client_ctl(client, &info) < 0) {
		kfree(rec);
		return NULL;
	}
	rec->port = info.port;
	return rec;
}

static int vs_register(int client, int duplex)
{
	struct vs_port *rec1, *rec2;

	rec1 = vs_create_port(client);
	if (!rec1)
		return -ENOMEM;
	if (duplex) {
		rec2 = vs_create_port(client);
		if (!rec2)
			return -ENOMEM;
		rec1->connect = rec2->port;
	}
	return 0;
}
