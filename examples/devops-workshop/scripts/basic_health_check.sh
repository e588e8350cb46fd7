#!/bin/sh
# ValidateService: the app must answer with its page within 10 tries, 1 s apart (the workshop's
# check is curl on port 80, 10 tries 10 s apart). curl, wget or node: whichever the host has.
url="http://127.0.0.1:${WEBAPP_PORT:-8080}/"
get_page() {
  if command -v curl >/dev/null 2>&1; then
    curl -fsS --max-time 5 "$url"
  elif command -v wget >/dev/null 2>&1; then
    wget -q -O - "$url"        # (busybox wget -T crashes in some builds; the hook's timeout bounds it)
  else
    node -e 'fetch(process.argv[1]).then(async (r) => { if (!r.ok) process.exit(1); process.stdout.write(await r.text()); }, () => process.exit(1))' "$url"
  fi
}
for try in 1 2 3 4 5 6 7 8 9 10; do
  if get_page 2>/dev/null | grep -q 'A Sample web application'; then
    echo "$url answers (try $try)"
    exit 0
  fi
  sleep 1
done
echo "$url did not answer with the app's page after 10 tries" >&2
exit 1
