/** An AWS error as the SDKs read it: the exception name (`__type`) and the HTTP status. */
import type { ContentfulStatusCode } from 'hono/utils/http-status';

export interface AwsError {
  readonly type: string;
  readonly status: ContentfulStatusCode;
}
