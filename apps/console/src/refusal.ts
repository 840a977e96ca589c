import { notifications } from '@mantine/notifications';
import { ParleyError } from '@parley/sdk';

interface FormLike {
  values: object;
  setFieldError(field: string, message: string): void;
}

/**
 * A mutation's onError for a form: the API names the field it refuses (`param`, e.g. "url", "returns.when",
 * "number_ids[0]"), so its message goes next to that field; anything else is a notification titled `title`.
 * `fieldOf` maps a param to the form's own field name where they differ (default: its first segment).
 */
export function showRefusal(form: FormLike, title: string, fieldOf: (param: string) => string = (p) => p.split(/[.[]/)[0]!) {
  return (err: Error) => {
    const field = err instanceof ParleyError && err.param ? fieldOf(err.param) : null;
    if (field && field in form.values) form.setFieldError(field, err.message);
    else notifications.show({ color: 'red', title, message: err.message });
  };
}
