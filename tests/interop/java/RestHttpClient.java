// Java's own HTTP client (java.net.http, HTTP/1.1) against an Aviary REST port: requests in
// turn on its pooled keep-alive connection, one with Expect: 100-continue, a burst of
// concurrent ones, and a Starlette page between them. Prints "<what>\t<status>\t<body>" lines.
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

public class RestHttpClient {
    public static void main(String[] args) throws Exception {
        String base = "http://" + args[0] + ":" + args[1];
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        for (int i = 0; i < 5; i++) {
            print("seq" + i, client.send(echo(base, "seq" + i, false), HttpResponse.BodyHandlers.ofString()));
        }
        print("continue", client.send(echo(base, "continue", true), HttpResponse.BodyHandlers.ofString()));
        HttpRequest page = HttpRequest.newBuilder(URI.create(base + "/openapi.json")).GET().build();
        HttpResponse<String> doc = client.send(page, HttpResponse.BodyHandlers.ofString());
        System.out.println("openapi\t" + doc.statusCode() + "\t" + (doc.body().contains("\"openapi\"") ? "document" : doc.body()));
        List<CompletableFuture<HttpResponse<String>>> burst = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            burst.add(client.sendAsync(echo(base, "burst" + i, false), HttpResponse.BodyHandlers.ofString()));
        }
        for (int i = 0; i < burst.size(); i++) {
            print("burst" + i, burst.get(i).get());
        }
    }

    static HttpRequest echo(String base, String text, boolean expectContinue) {
        String body = "{\"message\": {\"text\": \"" + text + "\"}}";
        return HttpRequest.newBuilder(URI.create(base + "/Echo/echo"))
                .header("Content-Type", "application/json")
                .expectContinue(expectContinue)
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build();
    }

    static void print(String what, HttpResponse<String> r) {
        System.out.println(what + "\t" + r.statusCode() + "\t" + r.body());
    }
}
