/*
 * A closed-loop load generator for framed Thrift: N connections, each a thread that sends one
 * request frame, waits for the reply frame, and repeats until the time is up.
 *
 *   thrift_load HOST PORT CONNECTIONS SECONDS REQUEST_FILE [REPLY_FILE]
 *
 * REQUEST_FILE holds one complete framed request (4-byte length + message); the seqid is left
 * as it is. REPLY_FILE, if given, holds the framed reply every call must get, byte for byte;
 * a different reply counts as an error (the connection is kept). A reply that takes longer
 * than 5 s counts as an error and the connection is reopened. Prints one JSON line: requests
 * (correct replies), errors, seconds, and latency percentiles in microseconds. Written in C so
 * that the client, not the server, is never the bottleneck.
 *
 * TLS: with THRIFT_LOAD_TLS_CA set (a PEM CA bundle), every connection is TLS and checks the
 * server's certificate; THRIFT_LOAD_TLS_CERT and THRIFT_LOAD_TLS_KEY present a client
 * certificate (mutual TLS). Build with -lssl -lcrypto.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define MAX_SAMPLES (1 << 20)

static const char *host;
static int port;
static double seconds;
static unsigned char *request;
static size_t request_len;
static unsigned char *expected; /* the reply frame, without its length; NULL: any reply */
static size_t expected_len;
static volatile int stop;
static SSL_CTX *tls; /* NULL: plaintext */

/* One connection: a socket, and its TLS session when TLS is on. */
struct conn {
    int fd;
    SSL *ssl;
};

static ssize_t conn_read(struct conn *c, void *buf, size_t n) {
    if (!c->ssl) return read(c->fd, buf, n);
    int r = SSL_read(c->ssl, buf, (int)(n > 1 << 30 ? 1 << 30 : n));
    return r > 0 ? r : -1;
}

static int conn_write_all(struct conn *c, const unsigned char *buf, size_t n) {
    if (!c->ssl) return write(c->fd, buf, n) == (ssize_t)n ? 0 : -1;
    return SSL_write(c->ssl, buf, (int)n) == (int)n ? 0 : -1;
}

static void conn_close(struct conn *c) {
    if (c->ssl) SSL_free(c->ssl);
    if (c->fd >= 0) close(c->fd);
    c->ssl = NULL;
    c->fd = -1;
}

struct worker {
    pthread_t thread;
    long requests, errors;
    uint32_t *samples; /* latencies in microseconds */
    long nsamples, capacity;
};

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

#define REPLY_MAX (16u << 20)

/* Reads one reply frame into buf (REPLY_MAX + 4 bytes), usually in one read(); returns the
 * length of the message after the 4-byte header, or -1 on EOF, error, timeout, an oversized
 * frame, or bytes beyond the frame (one call is in flight, so nothing else may arrive). */
static long read_frame(struct conn *c, unsigned char *buf) {
    size_t got = 0, want = 4;
    while (got < want) {
        ssize_t r = conn_read(c, buf + got, REPLY_MAX + 4 - got);
        if (r <= 0) return -1;
        got += (size_t)r;
        if (got >= 4 && want == 4) {
            uint32_t n = ((uint32_t)buf[0] << 24) | (buf[1] << 16) | (buf[2] << 8) | buf[3];
            if (n > REPLY_MAX) return -1;
            want = 4 + (size_t)n;
        }
    }
    return got == want ? (long)(want - 4) : -1;
}

static int connect_tcp(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    inet_pton(AF_INET, host, &a.sin_addr);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct timeval timeout = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    return fd;
}

/* Connects (and shakes hands when TLS is on); returns 0, or -1 with c->fd < 0. */
static int connect_to(struct conn *c) {
    c->ssl = NULL;
    c->fd = connect_tcp();
    if (c->fd < 0 || !tls) return c->fd < 0 ? -1 : 0;
    c->ssl = SSL_new(tls);
    SSL_set_fd(c->ssl, c->fd);
    if (SSL_connect(c->ssl) != 1) {
        ERR_print_errors_fp(stderr);
        conn_close(c);
        return -1;
    }
    return 0;
}

static void *run(void *arg) {
    struct worker *w = arg;
    unsigned char *reply = malloc(REPLY_MAX + 4);
    struct conn c;
    connect_to(&c);
    while (!stop) {
        if (c.fd < 0) {
            w->errors++;
            usleep(10000);
            connect_to(&c);
            continue;
        }
        double t0 = now();
        long n;
        if (conn_write_all(&c, request, request_len) != 0 || (n = read_frame(&c, reply)) < 0) {
            w->errors++;
            conn_close(&c);
            connect_to(&c);
            continue;
        }
        if (expected && ((size_t)n != expected_len || memcmp(reply + 4, expected, n) != 0)) {
            w->errors++;
            continue;
        }
        w->requests++;
        if (w->nsamples < w->capacity) w->samples[w->nsamples++] = (uint32_t)((now() - t0) * 1e6);
    }
    conn_close(&c);
    free(reply);
    return NULL;
}

static int cmp(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    if (argc != 6 && argc != 7) {
        fprintf(stderr, "usage: %s HOST PORT CONNECTIONS SECONDS REQUEST_FILE [REPLY_FILE]\n", argv[0]);
        return 2;
    }
    host = argv[1];
    port = atoi(argv[2]);
    int conns = atoi(argv[3]);
    seconds = atof(argv[4]);
    FILE *f = fopen(argv[5], "rb");
    if (!f) {
        perror(argv[5]);
        return 2;
    }
    request = malloc(16 << 20);
    request_len = fread(request, 1, 16 << 20, f);
    fclose(f);
    if (argc == 7) {
        f = fopen(argv[6], "rb");
        if (!f) {
            perror(argv[6]);
            return 2;
        }
        unsigned char *framed = malloc(16 << 20);
        size_t framed_len = fread(framed, 1, 16 << 20, f);
        fclose(f);
        if (framed_len < 4) {
            fprintf(stderr, "%s: not a framed reply\n", argv[6]);
            return 2;
        }
        expected = framed + 4;
        expected_len = framed_len - 4;
    }
    if (conns < 1) {
        fprintf(stderr, "CONNECTIONS must be at least 1\n");
        return 2;
    }
    const char *ca = getenv("THRIFT_LOAD_TLS_CA"), *cert = getenv("THRIFT_LOAD_TLS_CERT"), *key = getenv("THRIFT_LOAD_TLS_KEY");
    if (ca && *ca) {
        tls = SSL_CTX_new(TLS_client_method());
        SSL_CTX_set_verify(tls, SSL_VERIFY_PEER, NULL);
        if (SSL_CTX_load_verify_locations(tls, ca, NULL) != 1 ||
            (cert && *cert && (SSL_CTX_use_certificate_chain_file(tls, cert) != 1 || SSL_CTX_use_PrivateKey_file(tls, key && *key ? key : cert, SSL_FILETYPE_PEM) != 1))) {
            ERR_print_errors_fp(stderr);
            return 2;
        }
    }

    struct worker *ws = calloc(conns, sizeof *ws);
    for (int i = 0; i < conns; i++) {
        ws[i].capacity = MAX_SAMPLES / conns + 1024;
        ws[i].samples = malloc(sizeof(uint32_t) * ws[i].capacity);
        pthread_create(&ws[i].thread, NULL, run, &ws[i]);
    }
    double t0 = now();
    while (now() - t0 < seconds) usleep(10000);
    stop = 1;
    double elapsed = now() - t0;
    long requests = 0, errors = 0, total = 0;
    for (int i = 0; i < conns; i++) {
        pthread_join(ws[i].thread, NULL);
        requests += ws[i].requests;
        errors += ws[i].errors;
        total += ws[i].nsamples;
    }
    uint32_t *all = malloc(sizeof(uint32_t) * (total + 1));
    long k = 0;
    for (int i = 0; i < conns; i++)
        for (long j = 0; j < ws[i].nsamples; j++) all[k++] = ws[i].samples[j];
    qsort(all, total, sizeof(uint32_t), cmp);
    uint32_t p50 = total ? all[total / 2] : 0, p99 = total ? all[(long)(total * 0.99)] : 0;
    printf("{\"requests\": %ld, \"errors\": %ld, \"seconds\": %.3f, \"p50_us\": %u, \"p99_us\": %u}\n", requests,
           errors, elapsed, p50, p99);
    return 0;
}
