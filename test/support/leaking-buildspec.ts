/**
 * Issue 7, finding 9 as it was done: a build puts its secret (secrets-manager `ci/token`) into a
 * JUnit report's names and failure message, an exported variable, an artifact name, and one long
 * write that straddles the 64 KiB partial-line flush. Used by the local CLI and the agent tests.
 */
export const LEAKING_BUILDSPEC = `version: 0.2
env:
  secrets-manager:
    SECRET: ci/token
  exported-variables:
    - LEAKED
phases:
  build:
    commands:
      - export LEAKED="$SECRET"
      - head -c 65530 /dev/zero | tr '\\0' a; printf '%s' "$SECRET"
      - printf 'x'; printf '%s%s\\n' "$(head -c 65530 /dev/zero | tr '\\0' b)" "$SECRET"
      - mkdir -p reports
      - printf '<testsuite name="suite-%s"><testcase classname="class-%s" name="test-%s"><failure message="expected %s">trace %s</failure></testcase></testsuite>' "$SECRET" "$SECRET" "$SECRET" "$SECRET" "$SECRET" > "reports/junit-$SECRET.xml"
reports:
  unit-$SECRET:
    files: ['reports/*.xml']
    file-format: JUNITXML
artifacts:
  files: ['reports/*']
  name: art-$SECRET
`;
