// The admin console's HTML and CSS (uPlot's stylesheet first, then ours), as text imports embedded
// in the compiled binary.

import html from './page/index.html' with { type: 'text' }
import css from './page/app.css' with { type: 'text' }
import uplotCss from 'uplot/dist/uPlot.min.css' with { type: 'text' }

/** bun-types declares *.html as an HTML bundle; `with { type: 'text' }` makes it the file's text. */
export const adminHtml: string = html as unknown as string
export const adminCss: string = `${uplotCss}\n${css}`
